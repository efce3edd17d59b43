// Named scratch buffers that grow on first use and are reused after: the one memory rule of
// the engine's and the pipeline's steady state (after the first call at the largest size,
// no call allocates). Each slot holds one buffer; asking a slot for more bytes than it holds
// frees it and allocates the larger size (contents are not kept), asking for as many or
// fewer returns the same memory. The memory comes from a RawAllocator, so the same logic
// serves device memory (kernels/cuda/device_context.h) and is tested on the host with a
// counting allocator (tests/reusable_buffers_test.cpp).
// Not thread-safe: one caller at a time, like the context that owns it.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace p3d {

// Where ReusableBuffers gets its memory. allocate() throws p3d::Error on failure and returns
// memory aligned to at least 256 bytes; release() never throws.
class RawAllocator {
 public:
  virtual ~RawAllocator() = default;
  virtual void* allocate(size_t bytes) = 0;
  virtual void release(void* ptr) noexcept = 0;
};

class ReusableBuffers {
 public:
  // `allocator` must outlive this object.
  explicit ReusableBuffers(RawAllocator& allocator) : allocator_(allocator) {}
  ~ReusableBuffers() { release_all(); }
  ReusableBuffers(const ReusableBuffers&) = delete;
  ReusableBuffers& operator=(const ReusableBuffers&) = delete;

  // At least `bytes` of memory under `slot` (never null, even for 0 bytes). Slots are
  // independent: two live results never overlap.
  void* get(std::string_view slot, size_t bytes);
  template <typename T>
  T* get_as(std::string_view slot, size_t count) {
    return static_cast<T*>(get(slot, count * sizeof(T)));
  }

  // Allocations made since construction: the count a steady-state test expects unchanged.
  size_t allocations() const { return allocations_; }
  size_t bytes_held() const;
  size_t slot_count() const { return slots_.size(); }
  // Frees every slot (later get() calls allocate again).
  void release_all() noexcept;

 private:
  struct Slot {
    void* ptr = nullptr;
    size_t bytes = 0;
  };
  RawAllocator& allocator_;
  std::map<std::string, Slot, std::less<>> slots_;
  size_t allocations_ = 0;
};

}  // namespace p3d
