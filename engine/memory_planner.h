// Static memory planning: every intermediate buffer of a forward pass gets an offset in one
// arena, so a run allocates nothing. Buffers whose lifetimes (inclusive step ranges) overlap
// never share bytes; buffers that are never live at the same time may.
//
// Algorithm ("greedy by size", as in TFLite's arena planner): place buffers largest first;
// each goes into the smallest gap between already-placed buffers that overlap it in time and
// is large enough (best fit), or after the last of them. Big buffers placed first form the
// skeleton that small ones fill around, which keeps the arena close to the peak live size.
#pragma once

#include <cstddef>
#include <vector>

namespace p3d {

struct BufferRequest {
  size_t bytes = 0;
  int first_use = 0;  // the step that writes it first
  int last_use = 0;   // the last step that reads it (inclusive)
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // per request, a multiple of the alignment
  size_t total_bytes = 0;       // arena size
};

// Plans the requests into one arena with `alignment`-byte aligned offsets (a power of two).
// Zero-byte buffers get offset 0 and occupy nothing. Throws p3d::Error on a request with
// last_use < first_use.
MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, size_t alignment = 256);

// The largest sum of (aligned) sizes of buffers live at one step: a lower bound on any plan.
size_t peak_live_bytes(const std::vector<BufferRequest>& requests, size_t alignment = 256);

}  // namespace p3d
