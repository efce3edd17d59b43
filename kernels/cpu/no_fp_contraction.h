// Turns floating-point contraction (fused multiply-add) off for the rest of the file that
// includes it: the CPU loops that must round every float step on its own, as the non-FMA
// builds of the libraries they reproduce do, so that they and their CUDA twins (which get
// the same rounding from __fmul_rn / __fadd_rn) write identical values.
//
// Include it before anything else: the pragmas act only on the code that follows them,
// and the per-pixel functions those loops inline come from the headers after it.
#pragma once

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
