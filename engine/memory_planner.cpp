// Greedy-by-size, best-fit arena planning (see memory_planner.h for why this shape).
#include "engine/memory_planner.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>

#include "kernels/error.h"

namespace p3d {
namespace {

size_t align_up(size_t bytes, size_t alignment) {
  return (bytes + alignment - 1) / alignment * alignment;
}

bool overlaps(const BufferRequest& a, const BufferRequest& b) {
  return a.first_use <= b.last_use && b.first_use <= a.last_use;
}

void check_requests(const std::vector<BufferRequest>& requests, size_t alignment) {
  P3D_CHECK(alignment > 0 && (alignment & (alignment - 1)) == 0, "alignment ", alignment,
            " is not a power of two");
  for (size_t i = 0; i < requests.size(); ++i)
    if (requests[i].last_use < requests[i].first_use)
      P3D_THROW("buffer ", i, ": last use ", requests[i].last_use, " precedes first use ",
                requests[i].first_use);
}

}  // namespace

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, size_t alignment) {
  check_requests(requests, alignment);
  const size_t n = requests.size();
  MemoryPlan plan;
  plan.offsets.assign(n, 0);

  // Largest first; ties by earlier first use, then index, so the plan is deterministic.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].bytes != requests[b].bytes) return requests[a].bytes > requests[b].bytes;
    if (requests[a].first_use != requests[b].first_use)
      return requests[a].first_use < requests[b].first_use;
    return a < b;
  });

  std::vector<size_t> placed;  // indices already given an offset
  std::vector<std::pair<size_t, size_t>>
      busy;  // [begin, end) of placed buffers overlapping in time
  for (size_t index : order) {
    const BufferRequest& r = requests[index];
    const size_t size = align_up(r.bytes, alignment);
    if (size == 0) continue;

    busy.clear();
    for (size_t other : placed)
      if (overlaps(r, requests[other]))
        busy.emplace_back(plan.offsets[other],
                          plan.offsets[other] + align_up(requests[other].bytes, alignment));
    std::sort(busy.begin(), busy.end());

    // Walk the busy ranges in address order; each hole between them is a candidate.
    size_t best_offset = 0, best_gap = SIZE_MAX, cursor = 0;
    bool found = false;
    for (const auto& [begin, end] : busy) {
      if (begin > cursor) {
        const size_t gap = begin - cursor;
        if (gap >= size && gap < best_gap) {
          best_gap = gap;
          best_offset = cursor;
          found = true;
        }
      }
      cursor = std::max(cursor, end);
    }
    // No hole fits: go after everything that is live at the same time.
    plan.offsets[index] = found ? best_offset : cursor;
    plan.total_bytes = std::max(plan.total_bytes, plan.offsets[index] + size);
    placed.push_back(index);
  }
  return plan;
}

size_t peak_live_bytes(const std::vector<BufferRequest>& requests, size_t alignment) {
  check_requests(requests, alignment);
  // Sweep over steps: +size at first use, -size after last use.
  std::map<int, long long> delta;
  for (const BufferRequest& r : requests) {
    const long long size = static_cast<long long>(align_up(r.bytes, alignment));
    delta[r.first_use] += size;
    delta[r.last_use + 1] -= size;
  }
  long long live = 0, peak = 0;
  for (const auto& [step, d] : delta) {
    live += d;
    peak = std::max(peak, live);
  }
  return static_cast<size_t>(peak);
}

}  // namespace p3d
