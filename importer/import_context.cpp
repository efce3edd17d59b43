// OpContext: input lookup, typed attribute access with clear errors, outputs (see
// import_context.h).
#include "importer/import_context.h"

#include <cctype>
#include <cmath>
#include <sstream>

namespace p3d::tfimport {

bool parse_tensor_ref(const std::string& text, TensorRef& out) {
  out = TensorRef{};
  std::string s = text;
  if (!s.empty() && s[0] == '^') {
    out.control = true;
    s = s.substr(1);
  }
  const size_t colon = s.rfind(':');
  if (colon != std::string::npos && !out.control) {
    const std::string digits = s.substr(colon + 1);
    if (digits.empty() || digits.size() > 9) return false;
    for (char c : digits)
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out.index = std::stoi(digits);
    s = s.substr(0, colon);
  }
  out.node = s;
  return !s.empty() && s.find(':') == std::string::npos;
}

Value ImportState::materialise(const TfValue& v) {
  const auto key = std::make_pair(v.host.raw(), v.host.shape().dims());
  if (v.host.raw() != nullptr) {
    auto it = materialised.find(key);
    if (it != materialised.end()) return Value{it->second};
  }
  const Value c = graph().constant(v.host, graph().unique_name(v.origin));
  if (v.host.raw() != nullptr) materialised[key] = c.id;
  return c;
}

OpContext::OpContext(ImportState& state, const tf::NodeDef& node) : state_(state), node_(node) {
  for (int i = 0; i < node.input_size(); ++i) {
    TensorRef ref;
    parse_tensor_ref(node.input(i), ref);  // validated before lowering
    if (ref.control) continue;
    const std::string key = tensor_key(ref.node, ref.index);
    auto it = state.tensors.find(key);
    if (it == state.tensors.end())
      fail("input ", inputs_.size(), " '", node.input(i), "' has no value at inference: output ",
           ref.index, " of '", ref.node,
           "' is not computed by the importer (for FusedBatchNorm only output 0, y, "
           "is defined in inference mode)");
    inputs_.push_back(&it->second);
    input_names_.push_back(node.input(i));
  }
}

std::string OpContext::where() const {
  return state_.prefix() + ": node '" + node_.name() + "' (" + node_.op() + ")";
}

void OpContext::expect_inputs(size_t count) const {
  if (inputs_.size() != count) fail("expects ", count, " data inputs, has ", inputs_.size());
}

void OpContext::expect_inputs(size_t min_count, size_t max_count) const {
  if (inputs_.size() < min_count || inputs_.size() > max_count)
    fail("expects ", min_count, " to ", max_count, " data inputs, has ", inputs_.size());
}

const TfValue& OpContext::input(size_t i) const {
  if (i >= inputs_.size()) fail("expects at least ", i + 1, " data inputs, has ", inputs_.size());
  return *inputs_[i];
}

bool OpContext::all_host() const {
  for (const TfValue* v : inputs_)
    if (v->kind != TfValue::Kind::Host) return false;
  return true;
}

const Tensor& OpContext::host(size_t i, const char* what) const {
  const TfValue& v = input(i);
  if (v.kind != TfValue::Kind::Host)
    fail("input ", i, " (", what, ", '", input_names_[i],
         "') must be known at import time (a constant, or computed from constants and the input "
         "shapes), but it depends on the graph's input values");
  return v.host;
}

std::vector<int64_t> OpContext::host_ints(size_t i, const char* what) const {
  const Tensor& t = host(i, what);
  if (t.dtype() != DType::I32)
    fail("input ", i, " (", what, ", '", input_names_[i], "') must be an integer tensor, is ",
         t.str());
  if (t.shape().rank() > 1)
    fail("input ", i, " (", what, ") must be a scalar or a vector, has shape ", t.shape().str());
  const int32_t* p = t.data<int32_t>();
  return std::vector<int64_t>(p, p + t.numel());
}

int64_t OpContext::host_int(size_t i, const char* what) const {
  const std::vector<int64_t> v = host_ints(i, what);
  if (v.size() != 1) fail("input ", i, " (", what, ") must hold one integer, has ", v.size());
  return v[0];
}

Value OpContext::value(size_t i) {
  const TfValue& v = input(i);
  switch (v.kind) {
    case TfValue::Kind::Graph:
      return v.value;
    case TfValue::Kind::Host:
      return state_.materialise(v);
    case TfValue::Kind::Pending:
      break;
  }
  fail("input ", i, " '", input_names_[i], "' comes from SpaceToBatchND '",
       v.pending->space_to_batch,
       "', which is only supported as the start of a dilated convolution "
       "(SpaceToBatchND -> Conv2D or DepthwiseConv2dNative -> BatchToSpaceND)");
}

Shape OpContext::shape(size_t i) const {
  const TfValue& v = input(i);
  if (v.kind == TfValue::Kind::Host) return v.host.shape();
  if (v.kind == TfValue::Kind::Graph) return state_.result.graph.shape(v.value);
  fail("input ", i, " '", input_names_[i],
       "' (from SpaceToBatchND) has no shape outside a dilated convolution");
}

DType OpContext::dtype(size_t i) const {
  const TfValue& v = input(i);
  if (v.kind == TfValue::Kind::Host) return v.host.dtype();
  if (v.kind == TfValue::Kind::Graph) return state_.result.graph.dtype(v.value);
  return DType::F32;
}

// ---- attributes ------------------------------------------------------------------------

namespace {

const char* attr_case_name(tf::AttrValue::ValueCase c) {
  switch (c) {
    case tf::AttrValue::kS:
      return "a string";
    case tf::AttrValue::kI:
      return "an int";
    case tf::AttrValue::kF:
      return "a float";
    case tf::AttrValue::kB:
      return "a bool";
    case tf::AttrValue::kType:
      return "a type";
    case tf::AttrValue::kShape:
      return "a shape";
    case tf::AttrValue::kTensor:
      return "a tensor";
    case tf::AttrValue::kList:
      return "a list";
    case tf::AttrValue::kFunc:
      return "a function";
    case tf::AttrValue::kPlaceholder:
      return "a placeholder";
    case tf::AttrValue::VALUE_NOT_SET:
      return "empty";
  }
  return "unknown";
}

}  // namespace

bool OpContext::has_attr(const char* attr) const { return node_.attr().count(attr) != 0; }

const tf::AttrValue& OpContext::typed_attr(const char* attr, int value_case,
                                           const char* expected) const {
  auto it = node_.attr().find(attr);
  if (it == node_.attr().end()) fail("attr '", attr, "' is missing");
  const tf::AttrValue& a = it->second;
  if (a.value_case() != value_case)
    fail("attr '", attr, "' must be ", expected, ", is ", attr_case_name(a.value_case()));
  return a;
}

int64_t OpContext::attr_int(const char* attr) const {
  return typed_attr(attr, tf::AttrValue::kI, "an int").i();
}

int64_t OpContext::attr_int(const char* attr, int64_t fallback) const {
  return has_attr(attr) ? attr_int(attr) : fallback;
}

float OpContext::attr_float(const char* attr, float fallback) const {
  if (!has_attr(attr)) return fallback;
  const tf::AttrValue& a = typed_attr(attr, tf::AttrValue::kF, "a float");
  if (!std::isfinite(a.f())) fail("attr '", attr, "' is ", a.f());
  return a.f();
}

bool OpContext::attr_bool(const char* attr, bool fallback) const {
  if (!has_attr(attr)) return fallback;
  return typed_attr(attr, tf::AttrValue::kB, "a bool").b();
}

std::string OpContext::attr_string(const char* attr) const {
  return typed_attr(attr, tf::AttrValue::kS, "a string").s();
}

std::string OpContext::attr_string(const char* attr, const std::string& fallback) const {
  return has_attr(attr) ? attr_string(attr) : fallback;
}

std::vector<int64_t> OpContext::attr_ints(const char* attr) const {
  const tf::AttrValue& a = typed_attr(attr, tf::AttrValue::kList, "a list of ints");
  if (a.list().s_size() || a.list().f_size() || a.list().b_size() || a.list().type_size() ||
      a.list().shape_size() || a.list().tensor_size())
    fail("attr '", attr, "' must be a list of ints, holds other values");
  return std::vector<int64_t>(a.list().i().begin(), a.list().i().end());
}

std::vector<int64_t> OpContext::attr_ints(const char* attr, std::vector<int64_t> fallback) const {
  return has_attr(attr) ? attr_ints(attr) : fallback;
}

int OpContext::attr_type(const char* attr) const {
  return typed_attr(attr, tf::AttrValue::kType, "a type").type();
}

int OpContext::attr_type(const char* attr, int fallback) const {
  return has_attr(attr) ? attr_type(attr) : fallback;
}

void OpContext::check_nhwc() const {
  const std::string format = attr_string("data_format", "NHWC");
  if (format != "NHWC")
    fail("data_format '", format,
         "' is not supported: the importer reads NHWC graphs only "
         "(export the model with data_format='NHWC', TensorFlow's default)");
}

std::pair<int32_t, int32_t> OpContext::spatial_attr(const char* attr,
                                                    std::vector<int64_t> fallback) const {
  if (!has_attr(attr) && fallback.empty()) fail("attr '", attr, "' is missing");
  const std::vector<int64_t> v = has_attr(attr) ? attr_ints(attr) : fallback;
  if (v.size() != 4) fail("attr '", attr, "' must have 4 entries (NHWC), has ", v.size());
  if (v[0] != 1 || v[3] != 1)
    fail("attr '", attr, "' = [", v[0], ",", v[1], ",", v[2], ",", v[3],
         "]: only the spatial (H, W) entries may differ from 1");
  for (int d = 1; d <= 2; ++d)
    if (v[static_cast<size_t>(d)] < 1 || v[static_cast<size_t>(d)] > (int64_t{1} << 20))
      fail("attr '", attr, "' has invalid entry ", v[static_cast<size_t>(d)]);
  return {static_cast<int32_t>(v[1]), static_cast<int32_t>(v[2])};
}

Padding OpContext::padding_attr(Pads2d& pads, bool allow_explicit) const {
  const std::string mode = attr_string("padding");
  if (mode == "SAME") return Padding::Same;
  if (mode == "VALID") return Padding::Valid;
  if (mode == "EXPLICIT" && allow_explicit) {
    const std::vector<int64_t> p = attr_ints("explicit_paddings");
    if (p.size() != 8)
      fail("attr 'explicit_paddings' must have 8 entries (NHWC before/after), has ", p.size());
    if (p[0] || p[1] || p[6] || p[7])
      fail("attr 'explicit_paddings' pads the batch or channel dims");
    for (size_t k = 2; k < 6; ++k)
      if (p[k] < 0 || p[k] > (int64_t{1} << 20))
        fail("attr 'explicit_paddings' has invalid entry ", p[k]);
    pads = Pads2d{static_cast<int32_t>(p[2]), static_cast<int32_t>(p[3]),
                  static_cast<int32_t>(p[4]), static_cast<int32_t>(p[5])};
    return Padding::Explicit;
  }
  fail("attr 'padding' is '", mode, "'; expected SAME or VALID",
       allow_explicit ? " or EXPLICIT" : "");
}

// ---- outputs ---------------------------------------------------------------------------

void OpContext::set_output(TfValue v, int index) {
  state_.tensors[tensor_key(node_.name(), index)] = std::move(v);
}

std::string OpContext::helper_name(const std::string& suffix) const {
  return state_.result.graph.unique_name(node_.name() + "#" + suffix);
}

}  // namespace p3d::tfimport
