// Convolution validation shared by the CPU kernels (kernels/cpu/conv2d.cpp,
// conv_transpose2d.cpp) and the CUDA backend's convolutions.
#include <algorithm>

#include "kernels/conv.h"
#include "kernels/error.h"

namespace p3d {

void check_conv2d_params(const Conv2dParams& p) {
  P3D_CHECK(p.batch > 0 && p.in_h > 0 && p.in_w > 0 && p.in_c > 0,
            "conv2d: input dims must be positive (", p.batch, "x", p.in_h, "x", p.in_w, "x", p.in_c,
            ")");
  P3D_CHECK(p.out_h > 0 && p.out_w > 0 && p.out_c > 0, "conv2d: output dims must be positive (",
            p.out_h, "x", p.out_w, "x", p.out_c, ")");
  P3D_CHECK(p.kernel_h > 0 && p.kernel_w > 0 && p.stride_h > 0 && p.stride_w > 0 &&
                p.dilation_h > 0 && p.dilation_w > 0,
            "conv2d: kernel, stride and dilation must be positive");
  P3D_CHECK(p.pad_top >= 0 && p.pad_left >= 0 && p.pad_bottom >= 0 && p.pad_right >= 0,
            "conv2d: padding must be non-negative");
  P3D_CHECK(p.groups > 0 && p.in_c % p.groups == 0 && p.out_c % p.groups == 0, "conv2d: groups (",
            p.groups, ") must divide in_c (", p.in_c, ") and out_c (", p.out_c, ")");
  if (p.padding_fill != PadMode::Constant) {
    // MirrorPad's limits: reflecting needs pad < size, repeating the edge pad <= size.
    const int32_t limit_h = p.padding_fill == PadMode::Reflect ? p.in_h - 1 : p.in_h;
    const int32_t limit_w = p.padding_fill == PadMode::Reflect ? p.in_w - 1 : p.in_w;
    P3D_CHECK(p.padding_fill == PadMode::Reflect || p.padding_fill == PadMode::Symmetric,
              "conv2d: unknown padding fill ", static_cast<int>(p.padding_fill));
    P3D_CHECK(std::max(p.pad_top, p.pad_bottom) <= limit_h &&
                  std::max(p.pad_left, p.pad_right) <= limit_w,
              "conv2d: mirrored padding (", p.pad_top, ",", p.pad_left, ",", p.pad_bottom, ",",
              p.pad_right, ") is too wide for a ", p.in_h, "x", p.in_w, " input (",
              p.padding_fill == PadMode::Reflect ? "reflect: at most size - 1"
                                                 : "symmetric: at most the size",
              ")");
  }
  const int32_t oh =
      conv_out_size(p.in_h, p.kernel_h, p.stride_h, p.dilation_h, p.pad_top, p.pad_bottom);
  const int32_t ow =
      conv_out_size(p.in_w, p.kernel_w, p.stride_w, p.dilation_w, p.pad_left, p.pad_right);
  P3D_CHECK(oh == p.out_h && ow == p.out_w, "conv2d: output ", p.out_h, "x", p.out_w,
            " does not match the input, kernel, stride, dilation and padding (expected ", oh, "x",
            ow, ")");
}

void check_conv_transpose2d_params(const ConvTranspose2dParams& p) {
  P3D_CHECK(p.padding_fill == PadMode::Constant,
            "conv_transpose2d: only zero padding is supported (mirrored padding is conv2d's)");
  P3D_CHECK(p.groups == 1, "conv_transpose2d: only groups == 1 is supported (got ", p.groups, ")");
  P3D_CHECK(p.dilation_h == 1 && p.dilation_w == 1,
            "conv_transpose2d: only dilation 1 is supported (got ", p.dilation_h, "x", p.dilation_w,
            ")");
  P3D_CHECK(p.batch > 0 && p.in_h > 0 && p.in_w > 0 && p.in_c > 0 && p.out_h > 0 && p.out_w > 0 &&
                p.out_c > 0,
            "conv_transpose2d: dims must be positive");
  P3D_CHECK(p.kernel_h > 0 && p.kernel_w > 0 && p.stride_h > 0 && p.stride_w > 0,
            "conv_transpose2d: kernel and stride must be positive");
  P3D_CHECK(p.pad_top >= 0 && p.pad_left >= 0 && p.pad_bottom >= 0 && p.pad_right >= 0,
            "conv_transpose2d: padding must be non-negative");
  // The forward conv this is the adjoint of maps the output back onto the input exactly.
  const int32_t ih = conv_out_size(p.out_h, p.kernel_h, p.stride_h, 1, p.pad_top, p.pad_bottom);
  const int32_t iw = conv_out_size(p.out_w, p.kernel_w, p.stride_w, 1, p.pad_left, p.pad_right);
  P3D_CHECK(ih == p.in_h && iw == p.in_w, "conv_transpose2d: output ", p.out_h, "x", p.out_w,
            " with this kernel, stride and padding convolves to ", ih, "x", iw,
            ", not to the input ", p.in_h, "x", p.in_w);
}

}  // namespace p3d
