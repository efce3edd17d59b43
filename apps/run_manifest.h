// A manifest: a text file listing the photos of a run, one per line, for inputs that do not
// sit in the original's folder layout or are spread over many folders:
//   PHOTO [LANDMARKS [MASK]]
// Fields are separated by tabs (then paths may hold spaces) or, in a line without tabs, by
// spaces. LANDMARKS is a NAME_landmark.txt-style file (68 points, y up) or a
// NAME_detection.txt-style file (the name ends in _detection.txt); MASK a .mat with 'mask'.
// Missing fields fall back to the files beside the photo (and to detection / face-only where
// those are absent too). '#' starts a comment; blank lines are skipped; relative paths are
// relative to the manifest's folder.
#pragma once

#include <string>
#include <vector>

namespace p3d::app {

struct ManifestEntry {
  int line = 0;  // 1-based, for messages
  std::string photo;
  std::string landmarks;  // empty: beside the photo
  std::string mask;       // empty: beside the photo
};

// Throws p3d::Error naming the file and line for a line with more than three fields, and
// when the file cannot be read or lists nothing.
std::vector<ManifestEntry> read_manifest(const std::string& path);
std::vector<ManifestEntry> parse_manifest(const std::string& text, const std::string& base_dir,
                                          const std::string& what);

}  // namespace p3d::app
