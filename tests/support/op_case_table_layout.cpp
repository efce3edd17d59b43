// The agreement table's layout cases: concat, pad, transpose, slice, resize.
#include <utility>

#include "tests/support/op_case_builders.h"

namespace p3d::test::cases {

void add_layout_cases(std::vector<OpCase>& t) {
  const std::vector<Shape> a = {Shape{2, 3, 4, 5}, Shape{1, 3, 4, 5}},
                           b = {Shape{2, 3, 4, 5}, Shape{2, 2, 4, 5}},
                           c = {Shape{2, 3, 4, 5}, Shape{2, 3, 1, 5}},
                           d = {Shape{2, 3, 4, 5}, Shape{2, 3, 4, 3}};
  t.push_back(concat_case(a, 0));
  t.push_back(concat_case(b, 1));
  t.push_back(concat_case(c, 2));
  t.push_back(concat_case(d, 3));
  t.push_back(concat_case({Shape{1, 5, 7, 3}, Shape{1, 5, 7, 1}, Shape{1, 5, 7, 4}}, 3, DType::U8));
  t.push_back(concat_case({Shape{2, 6, 3, 1}, Shape{2, 6, 3, 2}}, 3, DType::F16));
  t.push_back(
      concat_case({Shape{1, 4, 4, 2}, Shape{1, 4, 4, 2}, Shape{1, 4, 4, 2}}, 2, DType::I32));

  for (PadMode mode : {PadMode::Constant, PadMode::Reflect, PadMode::Symmetric}) {
    t.push_back(pad_case(Shape{5, 6}, {1, 2}, {3, 1}, mode));
    t.push_back(pad_case(Shape{3, 4, 5}, {0, 2, 1}, {2, 0, 3}, mode));
    t.push_back(pad_case(Shape{2, 7, 9, 3}, {0, 3, 2, 0}, {0, 2, 3, 0}, mode));
    t.push_back(pad_case(Shape{2, 6, 5, 2}, {1, 1, 1, 1}, {0, 1, 1, 1}, mode));
  }
  t.push_back(pad_case(Shape{2, 7, 9, 3}, {0, 3, 2, 0}, {0, 2, 3, 0}, PadMode::Constant, 1.5f));
  t.push_back(pad_case(Shape{4, 5}, {3, 4}, {3, 4}, PadMode::Reflect));    // pad = dim - 1
  t.push_back(pad_case(Shape{4, 5}, {4, 5}, {4, 5}, PadMode::Symmetric));  // pad = dim
  t.push_back(
      pad_case(Shape{2, 3, 2, 3, 2}, {1, 0, 1, 0, 1}, {0, 1, 0, 2, 0}, PadMode::Constant, -2.f));

  t.push_back(transpose_case(Shape{67, 129}, {1, 0}));
  t.push_back(transpose_case(Shape{5, 6, 7}, {0, 2, 1}));
  t.push_back(transpose_case(Shape{5, 6, 7}, {2, 0, 1}));
  t.push_back(transpose_case(Shape{2, 7, 9, 5}, {0, 3, 1, 2}));  // NHWC -> NCHW
  t.push_back(transpose_case(Shape{2, 5, 7, 9}, {0, 2, 3, 1}));  // NCHW -> NHWC
  t.push_back(transpose_case(Shape{3, 4, 5, 6}, {3, 2, 1, 0}));
  t.push_back(transpose_case(Shape{3, 4, 5, 6}, {0, 1, 2, 3}));  // identity
  t.push_back(transpose_case(Shape{2, 3, 4, 5, 6}, {0, 4, 1, 2, 3}));
  t.push_back(transpose_case(Shape{2, 3, 4, 5, 6}, {4, 3, 2, 1, 0}));
  t.push_back(transpose_case(Shape{2, 3, 2, 4, 3, 2}, {5, 0, 4, 1, 3, 2}));
  t.push_back(transpose_case(Shape{2, 9, 11, 3}, {0, 3, 1, 2}, DType::U8));
  t.push_back(transpose_case(Shape{33, 65}, {1, 0}, DType::F16));
  t.push_back(transpose_case(Shape{2, 3, 4, 5}, {1, 0, 3, 2}, DType::I32));

  t.push_back(slice_case(Shape{20}, {2}, {3}, {6}));
  t.push_back(slice_case(Shape{5, 9}, {1, 8}, {1, -1}, {3, 9}));  // reverse a dim
  t.push_back(slice_case(Shape{2, 9, 11, 6}, {0, 1, 2, 0}, {1, 2, 1, 3}, {2, 4, 7, 2}));
  t.push_back(slice_case(Shape{13, 7}, {11, 6}, {-2, -3}, {6, 3}));  // negative steps
  t.push_back(slice_case(Shape{6, 8, 10}, {5, 1, 9}, {-1, 2, -3}, {6, 4, 4}));
  t.push_back(slice_case(Shape{2, 8, 8, 16}, {1, 2, 0, 4}, {1, 1, 1, 1},
                         {1, 5, 8, 8}));  // contiguous block
  t.push_back(slice_case(Shape{2, 3, 4, 3, 4, 5}, {1, 0, 3, 0, 1, 4}, {1, 2, -1, 1, 2, -2},
                         {1, 2, 4, 3, 2, 3}));
  t.push_back(slice_case(Shape{3, 10, 4}, {2, 9, 0}, {-1, -2, 1}, {3, 5, 4}, DType::U8));
  t.push_back(slice_case(Shape{4, 12}, {0, 1}, {2, 5}, {2, 3}, DType::F16));

  // Resize: both modes x (legacy, align_corners, half_pixel) x (up, down), plus odd ratios,
  // identity size, a single output row, and the 0.5-tie of align_corners nearest.
  for (ResizeMode mode : {ResizeMode::Bilinear, ResizeMode::Nearest}) {
    for (auto [ac, hp] :
         {std::pair{false, false}, std::pair{true, false}, std::pair{false, true}}) {
      t.push_back(resize_case(mode, 2, 5, 7, 3, 11, 16, ac, hp));  // up, non-integer ratio
      t.push_back(resize_case(mode, 1, 13, 17, 2, 6, 5, ac, hp));  // down
      t.push_back(resize_case(mode, 1, 8, 8, 4, 16, 16, ac, hp));  // 2x
    }
    t.push_back(resize_case(mode, 1, 5, 5, 3, 9, 9, true, false));  // ac scale 0.5: round(1.5) ties
    t.push_back(resize_case(mode, 1, 6, 7, 2, 1, 3, true, false));  // one output row
    t.push_back(resize_case(mode, 1, 6, 7, 2, 6, 7, false, true));  // same size
    t.push_back(resize_case(mode, 1, 64, 64, 8, 224, 224, false, true));
  }
}

}  // namespace p3d::test::cases
