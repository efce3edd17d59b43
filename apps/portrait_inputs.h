// What `portrait3d run` reads per portrait, in the original's input convention: the photo
// NAME.jpg|jpeg|png, its landmarks (NAME_landmark.txt, 68 points y-up, or NAME_detection.txt,
// the 5-point path) and its face-parsing labels (NAME.mat, variable 'mask'), all in one folder.
// Listing never fails for one portrait: problems are recorded on it and the batch goes on.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/alignment.h"
#include "pipeline/image_io.h"
#include "pipeline/landmarks.h"

namespace p3d::app {

// One portrait of a run and what became of it.
struct Portrait {
  std::string name;                   // NAME: the file name up to its first '.'
  std::filesystem::path photo_path;
  std::string error;                  // empty while fine
  // Loaded inputs (released after the portrait's batch).
  ImageU8 photo;
  ImageU8 labels;
  FaceAlignment alignment;
};

// INPUT a photo or a folder of photos (files ending in png, jpg or jpeg, as the original
// lists them), sorted by name. Two photos with one NAME are both kept; the second carries
// an error (its outputs would overwrite the first's). Throws when INPUT does not exist or a
// folder holds no photo.
std::vector<Portrait> list_portraits(const std::filesystem::path& input);

// "auto" (NAME_landmark.txt when present, else NAME_detection.txt), "yup68", "topleft68",
// "detection5". Throws naming the expected files when there is none.
LandmarkConvention pick_landmark_convention(const std::string& option, const Portrait& p);

// NAME.mat 'mask' beside the photo: int32 labels of the photo's size, each in 0..255.
ImageU8 read_labels(const std::filesystem::path& path, int32_t width, int32_t height);

// Reads the photo, landmarks and labels of `p` and plans its alignment; throws p3d::Error
// naming the file and the problem.
void load_portrait(Portrait& p, const std::string& landmark_option,
                   const AlignmentReference& reference);

}  // namespace p3d::app
