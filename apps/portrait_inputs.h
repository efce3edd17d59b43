// What `portrait3d run` reads per portrait, in the original's input convention: the photo
// NAME.jpg|jpeg|png, its landmarks (NAME_landmark.txt, 68 points y-up, or NAME_detection.txt,
// the 5-point path) and its face-parsing labels (NAME.mat, variable 'mask'), all in one folder.
// Listing never fails for one portrait: problems are recorded on it and the batch goes on.
// A bare photo (no landmark file) gets its 68 points from the detector (face_detection.h),
// written to OUT/NAME_landmark.txt in the original's convention; a photo without NAME.mat is
// reconstructed face-only (all-background labels: no hair or ears to build).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/face_detection.h"
#include "pipeline/image_io.h"
#include "pipeline/landmarks.h"

namespace p3d::app {

// One portrait of a run and what became of it.
struct Portrait {
  std::string name;  // NAME: the file name up to its first '.'
  std::filesystem::path photo_path;
  // From a manifest: explicit landmark and mask files (empty: beside the photo).
  std::filesystem::path landmark_path, mask_path;
  std::string error;  // empty while fine
  // Loaded inputs (released after the portrait's batch).
  ImageU8 photo;
  ImageU8 labels;
  Landmarks landmarks;
  // Where the landmarks came from and what the detector did (faces_seen -1: a file).
  bool detected = false;
  int32_t faces_seen = -1;
  double face_box = 0;                     // the detected face's box width, photo pixels
  double detect_ms = 0, landmarks_ms = 0;  // detection (resize + HOG) and the 68 points
  std::filesystem::path landmark_file;     // OUT/NAME_landmark.txt when detected
  bool face_only = false;                  // no NAME.mat: face mesh only
};

// Whether `p` takes its landmarks from the detector: --landmarks detect, or auto with neither
// NAME_landmark.txt nor NAME_detection.txt beside the photo.
bool needs_detection(const std::string& option, const Portrait& p);

// INPUT a photo or a folder of photos (files ending in png, jpg or jpeg, as the original
// lists them), sorted by name. Two photos with one NAME are both kept; the second carries
// an error (its outputs would overwrite the first's). Throws when INPUT does not exist or a
// folder holds no photo.
std::vector<Portrait> list_portraits(const std::filesystem::path& input);

// As list_portraits, and a manifest (a file not named like a photo: apps/run_manifest.h)
// lists its photos in its own order with their explicit landmark and mask files.
std::vector<Portrait> list_inputs(const std::filesystem::path& input);

// "auto" (NAME_landmark.txt when present, else NAME_detection.txt), "yup68", "topleft68",
// "detection5". Throws naming the expected files when there is none (callers detect first).
LandmarkConvention pick_landmark_convention(const std::string& option, const Portrait& p);

// NAME.mat 'mask' beside the photo: int32 labels of the photo's size, each in 0..255.
ImageU8 read_labels(const std::filesystem::path& path, int32_t width, int32_t height);

// What load_portrait needs for bare photos: the detector (null when its model could not be
// loaded: `unavailable` then says why) and the folder NAME_landmark.txt is written to.
struct DetectionContext {
  FaceLandmarker* landmarker = nullptr;
  std::string unavailable;
  std::filesystem::path out;
};

// Reads the photo, landmarks (from the files, or detected and written to
// OUT/NAME_landmark.txt) and labels of `p` (all background, p.face_only, when NAME.mat is
// absent); throws p3d::Error naming the file and the problem. The alignment is planned by
// the Reconstructor, which reports a landmark set it cannot use as that portrait's error.
void load_portrait(Portrait& p, const std::string& landmark_option,
                   const DetectionContext& detection);

}  // namespace p3d::app
