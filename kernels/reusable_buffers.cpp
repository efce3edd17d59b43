// See reusable_buffers.h.
#include "kernels/reusable_buffers.h"

#include <algorithm>

namespace p3d {

namespace {
// Sizes are rounded up so a slot asked for slightly varying sizes (a last, shorter batch)
// does not reallocate for a few bytes, and every slot stays 256-byte granular.
constexpr size_t kGranule = 256;
size_t rounded(size_t bytes) {
  return (std::max<size_t>(bytes, 1) + kGranule - 1) / kGranule * kGranule;
}
}  // namespace

void* ReusableBuffers::get(std::string_view slot, size_t bytes) {
  auto it = slots_.find(slot);
  if (it == slots_.end()) it = slots_.emplace(std::string(slot), Slot{}).first;
  Slot& s = it->second;
  if (s.ptr && s.bytes >= bytes) return s.ptr;
  const size_t size = rounded(bytes);
  void* fresh = allocator_.allocate(size);  // may throw: the old buffer is still held then
  if (s.ptr) allocator_.release(s.ptr);
  s.ptr = fresh;
  s.bytes = size;
  ++allocations_;
  return s.ptr;
}

size_t ReusableBuffers::bytes_held() const {
  size_t total = 0;
  for (const auto& [name, s] : slots_) total += s.bytes;
  return total;
}

void ReusableBuffers::release_all() noexcept {
  for (auto& [name, s] : slots_)
    if (s.ptr) allocator_.release(s.ptr);
  slots_.clear();
}

}  // namespace p3d
