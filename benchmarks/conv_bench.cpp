// Benchmarks of the dense kernels through the Backend interface: conv_bench's cases of the
// op table (tests/support/op_cases.h, conv_bench_cases()) — every distinct convolution
// shape of ResNet-50 (slim resnet_v1_50, 224x224 input, batch 1), plus a few
// transposed-convolution and matmul shapes — on the CPU backend and, when this build has
// CUDA and a GPU is present, on the CUDA backend too.
//
// Counters (benchmarks/support/case_bench.h): GFLOP/s counts 2 * N*OH*OW*OC*KH*KW*IC/groups
// per run (the multiply-adds the convolution defines, not what a kernel happens to
// execute); GB/s counts every byte the op must read (input, filter, bias) and write
// (output) once.
//
//   build/benchmarks/conv_bench --benchmark_filter=cpu/conv2d --benchmark_repetitions=3
#include "benchmarks/support/bench_main.h"
#include "benchmarks/support/case_bench.h"
#include "tests/support/op_cases.h"

int main(int argc, char** argv) {
  p3d::bench::CaseBenchmarks registry;
  p3d::bench::register_case_benchmarks(registry, p3d::test::conv_bench_cases(), "conv_bench");
  return p3d::bench::run_benchmarks(argc, argv);
}
