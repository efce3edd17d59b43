// Listing and loading a run's portraits (portrait_inputs.h).
#include "apps/portrait_inputs.h"

#include <algorithm>
#include <cmath>

#include "apps/run_manifest.h"
#include "kernels/error.h"
#include "pipeline/atomic_file.h"
#include "pipeline/mat_file.h"

namespace p3d::app {

namespace fs = std::filesystem;

namespace {

bool is_photo_name(const std::string& file) {
  const auto ends_with = [&](const char* suffix) {
    const std::string s(suffix);
    return file.size() >= s.size() && file.compare(file.size() - s.size(), s.size(), s) == 0;
  };
  return ends_with("png") || ends_with("jpg") || ends_with("jpeg");
}

Portrait make_portrait(const fs::path& photo) {
  Portrait p;
  const std::string file = photo.filename().string();
  p.name = file.substr(0, file.find('.'));
  p.photo_path = photo;
  return p;
}

}  // namespace

std::vector<Portrait> list_portraits(const fs::path& input) {
  P3D_CHECK(fs::exists(input), input.string(), ": no such photo or folder");
  std::vector<Portrait> out;
  if (!fs::is_directory(input)) {
    P3D_CHECK(is_photo_name(input.filename().string()), input.string(),
              ": not a .png, .jpg or .jpeg photo");
    out.push_back(make_portrait(input));
    return out;
  }
  for (const fs::directory_entry& e : fs::directory_iterator(input)) {
    if (!e.is_regular_file() || !is_photo_name(e.path().filename().string())) continue;
    out.push_back(make_portrait(e.path()));
  }
  P3D_CHECK(!out.empty(), input.string(), ": no .png, .jpg or .jpeg files in the folder");
  std::sort(out.begin(), out.end(), [](const Portrait& a, const Portrait& b) {
    return a.name != b.name ? a.name < b.name : a.photo_path < b.photo_path;
  });
  for (size_t i = 1; i < out.size(); ++i)
    if (out[i].name == out[i - 1].name)
      out[i].error = "another photo (" + out[i - 1].photo_path.filename().string() +
                     ") has the same name; its output would be overwritten";
  return out;
}

std::vector<Portrait> list_inputs(const fs::path& input) {
  if (fs::is_directory(input) || is_photo_name(input.filename().string()))
    return list_portraits(input);
  P3D_CHECK(fs::is_regular_file(input), input.string(), ": no such photo, folder or manifest");
  std::vector<Portrait> out;
  for (const ManifestEntry& e : read_manifest(input.string())) {
    Portrait p = make_portrait(e.photo);
    p.landmark_path = e.landmarks;
    p.mask_path = e.mask;
    if (!is_photo_name(p.photo_path.filename().string()))
      p.error = input.string() + ":" + std::to_string(e.line) + ": " + e.photo +
                " is not a .png, .jpg or .jpeg photo";
    out.push_back(std::move(p));
  }
  // Names must stay unique: they name the outputs.
  for (size_t i = 0; i < out.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (out[i].error.empty() && out[j].name == out[i].name) {
        out[i].error = "another photo of the manifest (" + out[j].photo_path.string() +
                       ") has the same name; its output would be overwritten";
        break;
      }
  return out;
}

bool needs_detection(const std::string& option, const Portrait& p) {
  if (option == "detect") return true;
  if (option != "auto") return false;
  if (!p.landmark_path.empty()) return false;
  const std::string photo = p.photo_path.string();
  return !fs::exists(landmark_path_for(photo, LandmarkConvention::YUp68)) &&
         !fs::exists(landmark_path_for(photo, LandmarkConvention::Detection5));
}

LandmarkConvention pick_landmark_convention(const std::string& option, const Portrait& p) {
  if (option == "yup68") return LandmarkConvention::YUp68;
  if (option == "topleft68") return LandmarkConvention::TopLeft68;
  if (option == "detection5") return LandmarkConvention::Detection5;
  const std::string photo = p.photo_path.string();
  if (fs::exists(landmark_path_for(photo, LandmarkConvention::YUp68)))
    return LandmarkConvention::YUp68;
  if (fs::exists(landmark_path_for(photo, LandmarkConvention::Detection5)))
    return LandmarkConvention::Detection5;
  P3D_THROW("no landmark file: expected ",
            fs::path(landmark_path_for(photo, LandmarkConvention::YUp68)).filename().string(),
            " or ",
            fs::path(landmark_path_for(photo, LandmarkConvention::Detection5)).filename().string());
}

ImageU8 read_labels(const fs::path& path, int32_t width, int32_t height) {
  if (!fs::exists(path)) P3D_THROW("missing label file ", path.filename().string());
  MatReader reader(path.string());
  const MatArray mask = reader.read("mask");
  if (mask.rows != static_cast<size_t>(height) || mask.cols != static_cast<size_t>(width))
    P3D_THROW(path.filename().string(), ": mask is ", mask.cols, "x", mask.rows,
              " (width x height) but the photo is ", width, "x", height);
  ImageU8 labels;
  labels.width = width;
  labels.height = height;
  labels.channels = 1;
  labels.pixels.resize(mask.values.size());
  for (size_t i = 0; i < mask.values.size(); ++i) {
    const double v = mask.values[i];
    // The original's astype(np.uint8) would wrap anything else silently.
    if (!(std::isfinite(v) && v >= 0 && v <= 255 && v == std::floor(v)))
      P3D_THROW(path.filename().string(), ": mask value ", v, " at row ", i / width, ", column ",
                i % width, " is not a label in 0..255");
    labels.pixels[i] = static_cast<uint8_t>(v);
  }
  return labels;
}

void load_portrait(Portrait& p, const std::string& landmark_option,
                   const DetectionContext& detection) {
  p.photo = read_image(p.photo_path.string());
  Landmarks lm;
  if (needs_detection(landmark_option, p)) {
    if (!detection.landmarker)
      P3D_THROW("no landmark file and no face detector: ", detection.unavailable);
    const DetectedFace face = detection.landmarker->detect(p.photo);
    p.detected = true;
    p.faces_seen = face.faces_seen;
    p.face_box = face.box.width();
    p.detect_ms = face.detect_ms;
    p.landmarks_ms = face.landmarks_ms;
    lm = detected_landmarks(face, p.photo.width, p.photo.height);
    p.landmark_file = detection.out / (p.name + "_landmark.txt");
    const std::string text = format_yup_landmark_file(face, p.photo.height);
    write_file_atomic(p.landmark_file.string(), text.data(), text.size());
  } else if (!p.landmark_path.empty()) {
    // A manifest's file: its name says the convention (as the original's two names do).
    const std::string file = p.landmark_path.filename().string();
    const bool detection5 =
        file.size() >= 14 && file.compare(file.size() - 14, 14, "_detection.txt") == 0;
    const LandmarkConvention convention =
        landmark_option == "auto"
            ? (detection5 ? LandmarkConvention::Detection5 : LandmarkConvention::YUp68)
            : pick_landmark_convention(landmark_option, p);
    lm = read_landmarks(p.landmark_path.string(), convention, p.photo.width, p.photo.height);
  } else {
    const LandmarkConvention convention = pick_landmark_convention(landmark_option, p);
    lm = read_landmarks(landmark_path_for(p.photo_path.string(), convention), convention,
                        p.photo.width, p.photo.height);
  }
  const fs::path mat =
      p.mask_path.empty() ? p.photo_path.parent_path() / (p.name + ".mat") : p.mask_path;
  if (!p.mask_path.empty() && !fs::exists(mat)) P3D_THROW("missing label file ", mat.string());
  p.face_only = !fs::exists(mat);
  if (p.face_only) {
    // No face-parsing labels: all background, so the face stage crops and renders the face
    // and there is no hair or ear to build.
    p.labels.width = p.photo.width;
    p.labels.height = p.photo.height;
    p.labels.channels = 1;
    p.labels.pixels.assign(static_cast<size_t>(p.photo.width) * p.photo.height, 0);
  } else {
    p.labels = read_labels(mat, p.photo.width, p.photo.height);
  }
  p.landmarks = std::move(lm);
}

}  // namespace p3d::app
