// libFuzzer target for the run manifest reader (apps/run_manifest.h parse_manifest): arbitrary
// bytes as a manifest (PHOTO [LANDMARKS [MASK]] per line, tab- or space-separated, '#'
// comments). An accepted manifest must be what the header promises: at least one entry,
// each with a photo path, lines numbered from 1 in increasing order.
//
// p3d::Error is the documented refusal; anything else is a finding (see mat_fuzzer.cpp).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "apps/run_manifest.h"
#include "kernels/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const std::vector<p3d::app::ManifestEntry> entries =
        p3d::app::parse_manifest(text, "base/dir", "fuzz");
    if (entries.empty()) __builtin_trap();
    int last = 0;
    for (const p3d::app::ManifestEntry& e : entries) {
      if (e.photo.empty() || e.line <= last) __builtin_trap();
      last = e.line;
    }
  } catch (const p3d::Error&) {
  }
  return 0;
}
