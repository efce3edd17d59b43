// The per-op functions of the built-in ops that the op table (engine/op_table.cpp) names,
// grouped by the file that defines them. Ops written the newer way (engine/ops/*.cpp) keep
// theirs in their own file and export only their OpInfo, so they add nothing here.
#pragma once

#include <cstdint>
#include <string>

#include "engine/op_registry.h"

namespace p3d {

// engine/shape_inference.cpp
void infer_input(const Graph& g, Node& n);
void infer_constant(const Graph& g, Node& n);
void infer_conv2d(const Graph& g, Node& n);
void infer_conv_transpose2d(const Graph& g, Node& n);
void infer_matmul(const Graph& g, Node& n);
void infer_pool2d(const Graph& g, Node& n);
void infer_reduce(const Graph& g, Node& n);
void infer_batch_norm(const Graph& g, Node& n);
void infer_unary(const Graph& g, Node& n);
void infer_binary(const Graph& g, Node& n);
void infer_cast(const Graph& g, Node& n);
void infer_concat(const Graph& g, Node& n);
void infer_pad(const Graph& g, Node& n);
void infer_transpose(const Graph& g, Node& n);
void infer_slice(const Graph& g, Node& n);
void infer_reshape(const Graph& g, Node& n);
void infer_squeeze(const Graph& g, Node& n);
void infer_expand_dims(const Graph& g, Node& n);

// engine/op_attrs.cpp
std::string describe_input(const OpAttrs& a);
std::string describe_constant(const OpAttrs& a);
std::string describe_conv2d(const OpAttrs& a);
std::string describe_conv_transpose2d(const OpAttrs& a);
std::string describe_matmul(const OpAttrs& a);
std::string describe_pool2d(const OpAttrs& a);
std::string describe_reduce(const OpAttrs& a);
std::string describe_batch_norm(const OpAttrs& a);
std::string describe_unary(const OpAttrs& a);
std::string describe_binary(const OpAttrs& a);
std::string describe_cast(const OpAttrs& a);
std::string describe_concat(const OpAttrs& a);
std::string describe_pad(const OpAttrs& a);
std::string describe_transpose(const OpAttrs& a);
std::string describe_slice(const OpAttrs& a);
std::string describe_reshape(const OpAttrs& a);
std::string describe_squeeze(const OpAttrs& a);
std::string describe_expand_dims(const OpAttrs& a);

// engine/lowering.cpp
void lower_conv2d(const Graph& g, const Node& n, LoweredNode& out);
void lower_conv_transpose2d(const Graph& g, const Node& n, LoweredNode& out);
void lower_matmul(const Graph& g, const Node& n, LoweredNode& out);
void lower_pool2d(const Graph& g, const Node& n, LoweredNode& out);
void lower_reduce(const Graph& g, const Node& n, LoweredNode& out);
void lower_batch_norm(const Graph& g, const Node& n, LoweredNode& out);
void lower_unary(const Graph& g, const Node& n, LoweredNode& out);
void lower_binary(const Graph& g, const Node& n, LoweredNode& out);
void lower_cast(const Graph& g, const Node& n, LoweredNode& out);
void lower_concat(const Graph& g, const Node& n, LoweredNode& out);
void lower_pad(const Graph& g, const Node& n, LoweredNode& out);
void lower_transpose(const Graph& g, const Node& n, LoweredNode& out);
void lower_slice(const Graph& g, const Node& n, LoweredNode& out);

// engine/op_calls.cpp: the backend calls, FLOPs and the convolutions' filter hooks
void run_conv2d(Backend& b, const OpCall& c);
void run_conv_transpose2d(Backend& b, const OpCall& c);
void run_matmul(Backend& b, const OpCall& c);
void run_pool2d(Backend& b, const OpCall& c);
void run_reduce(Backend& b, const OpCall& c);
void run_batch_norm(Backend& b, const OpCall& c);
void run_unary(Backend& b, const OpCall& c);
void run_binary(Backend& b, const OpCall& c);
void run_cast(Backend& b, const OpCall& c);
void run_concat(Backend& b, const OpCall& c);
void run_pad(Backend& b, const OpCall& c);
void run_transpose(Backend& b, const OpCall& c);
void run_slice(Backend& b, const OpCall& c);
int64_t flops_conv2d(const Graph& g, const Node& n);
int64_t flops_conv_transpose2d(const Graph& g, const Node& n);
int64_t flops_matmul(const Graph& g, const Node& n);
Tensor pack_conv2d_filter(Backend& b, const LoweredNode& l, const Tensor& host);
Tensor pack_conv_transpose2d_filter(Backend& b, const LoweredNode& l, const Tensor& host);
size_t conv2d_workspace(Backend& b, const LoweredNode& l);
size_t conv_transpose2d_workspace(Backend& b, const LoweredNode& l);
std::string conv2d_kernel_plan(Backend& b, const LoweredNode& l);
std::string conv_transpose2d_kernel_plan(Backend& b, const LoweredNode& l);

}  // namespace p3d
