// Shared helpers of the inspect and infer commands (see model_cli.h).
#include "apps/model_cli.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include "importer/graph_def_reader.h"
#include "kernels/error.h"

namespace p3d::app {

void require_regular_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) P3D_THROW(what, " '", path, "': no such file");
  if (!std::filesystem::is_regular_file(status))
    P3D_THROW(what, " '", path, "': not a regular file");
}

LoadedGraphDef read_graph_def_file(const std::string& path, const TfImportOptions& options) {
  require_regular_file(path, "graph");
  LoadedGraphDef loaded;
  loaded.path = path;
  const auto start = std::chrono::steady_clock::now();
  const std::string bytes = tfimport::read_graph_file(path, options.max_file_bytes);
  loaded.file_bytes = bytes.size();
  loaded.def = tfimport::parse_graph_def(bytes, path, options.max_file_bytes);
  loaded.read_parse_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return loaded;
}

std::pair<std::string, std::string> split_assignment(const std::string& arg,
                                                     const std::string& option) {
  const size_t eq = arg.rfind('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size())
    P3D_THROW(option, " '", arg, "': expected NAME=VALUE");
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

Shape parse_dims(const std::string& text, const std::string& what) {
  std::vector<int64_t> dims;
  std::string item;
  std::string normalized = text;
  std::replace(normalized.begin(), normalized.end(), 'x', ',');
  std::istringstream in(normalized);
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    long long value = 0;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || value <= 0)
      P3D_THROW(what, ": '", text, "' is not a list of positive dims (e.g. 1,224,224,3)");
    dims.push_back(value);
  }
  if (dims.empty()) P3D_THROW(what, ": empty shape");
  return Shape(dims);
}

std::string strip_output_zero(const std::string& tensor) {
  if (tensor.size() > 2 && tensor.compare(tensor.size() - 2, 2, ":0") == 0)
    return tensor.substr(0, tensor.size() - 2);
  return tensor;
}

namespace {

std::string join(const std::vector<std::string>& items, size_t limit) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < limit; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > limit) out += ", ... (" + std::to_string(items.size()) + " in all)";
  return out.empty() ? "none" : out;
}

}  // namespace

const TfPlaceholder& find_placeholder(const TfGraphInfo& info, const std::string& name) {
  const std::string wanted = strip_output_zero(name);
  std::vector<std::string> names;
  for (const TfPlaceholder& p : info.inputs) {
    if (p.name == wanted) return p;
    names.push_back(p.name);
  }
  P3D_THROW("unknown input '", name, "': the graph's inputs (placeholders) are ", join(names, 20));
}

void check_output_names(const LoadedGraphDef& graph, const TfImportOptions& options) {
  std::set<std::string> nodes;
  for (const auto& node : graph.def.node()) nodes.insert(node.name());
  for (const std::string& output : options.outputs) {
    std::string node = output;
    const size_t colon = output.rfind(':');
    if (colon != std::string::npos) {
      node = output.substr(0, colon);
      const std::string index = output.substr(colon + 1);
      if (index.empty() || index.find_first_not_of("0123456789") != std::string::npos)
        P3D_THROW("output '", output, "': expected NAME or NAME:INDEX");
    }
    if (!nodes.count(node)) {
      TfImportOptions defaults = options;
      defaults.outputs.clear();
      const TfGraphInfo info = inspect_graph_def(graph.def, graph.path, defaults);
      P3D_THROW("unknown output '", output,
                "': no node of that name in the graph (its outputs when "
                "none are named: ",
                join(info.outputs, 20), ")");
    }
  }
}

bool dtype_from_tf(const std::string& tf_dtype, DType& out) {
  if (tf_dtype == "DT_FLOAT")
    out = DType::F32;
  else if (tf_dtype == "DT_HALF")
    out = DType::F16;
  else if (tf_dtype == "DT_INT32")
    out = DType::I32;
  else if (tf_dtype == "DT_UINT8")
    out = DType::U8;
  else
    return false;
  return true;
}

std::string declared_shape_str(const TfPlaceholder& p) {
  if (p.unknown_rank) return "unknown rank";
  std::string out = "[";
  for (size_t i = 0; i < p.dims.size(); ++i)
    out += (i ? "," : "") + (p.dims[i] < 0 ? std::string("?") : std::to_string(p.dims[i]));
  return out + "]";
}

Shape default_shape(const TfPlaceholder& p, int64_t batch) {
  std::vector<int64_t> dims = p.dims;
  if (!dims.empty() && dims[0] < 0) dims[0] = batch;
  return Shape(dims);
}

std::string sanitize_file_name(const std::string& tensor) {
  std::string out = tensor;
  for (char& c : out) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.';
    if (c == '/' || c == ':')
      c = '.';
    else if (!plain)
      c = '_';
  }
  // Never a hidden file or a path component of dots only.
  if (out.empty() || out[0] == '.') out = "_" + out;
  return out;
}

std::string group_digits(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string format_bytes(double bytes) {
  char buf[32];
  if (bytes >= 1024.0 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
  else if (bytes >= 1024.0 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024));
  else if (bytes >= 1024.0)
    std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
  else
    std::snprintf(buf, sizeof buf, "%.0f B", bytes);
  return buf;
}

std::string format_flops(double flops) {
  char buf[32];
  if (flops >= 1e9)
    std::snprintf(buf, sizeof buf, "%.3f GFLOP", flops * 1e-9);
  else if (flops >= 1e6)
    std::snprintf(buf, sizeof buf, "%.3f MFLOP", flops * 1e-6);
  else if (flops >= 1e3)
    std::snprintf(buf, sizeof buf, "%.3f kFLOP", flops * 1e-3);
  else
    std::snprintf(buf, sizeof buf, "%.0f FLOP", flops);
  return buf;
}

std::string pad_right(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

std::string pad_left(const std::string& s, size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

}  // namespace p3d::app
