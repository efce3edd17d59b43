// The guarded runner (CaseInstance, run_case), the reference check and the case-name
// helpers; see op_cases.h. The tables are in op_case_tables.cpp.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <numeric>

#include "kernels/error.h"
#include "tests/support/op_case_builders.h"
#include "tests/support/op_cases.h"

namespace p3d::test {
namespace {

// Sampled flat indices for large cases: both ends plus a deterministic spread.
std::vector<int64_t> sample_indices(const OpCase& c) {
  const int64_t count = c.out_shape.numel();
  std::vector<int64_t> idx;
  if (count <= 4096) {
    idx.resize(static_cast<size_t>(count));
    std::iota(idx.begin(), idx.end(), int64_t{0});
    return idx;
  }
  std::mt19937 rng(case_seed(c.name) ^ 0x5EED5u);
  idx.push_back(0);
  idx.push_back(count - 1);
  while (idx.size() < 4096) idx.push_back(cases::integer(rng, 0, count - 1));
  return idx;
}

}  // namespace

uint32_t case_seed(const std::string& name) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char ch : name) h = (h ^ ch) * 16777619u;
  return h;
}

OpCase in_place(OpCase c, int input) {
  c.output_aliases = input;
  c.name += " in-place(" + c.inputs.at(static_cast<size_t>(input)).label + ")";
  return c;
}

OpCase misaligned(OpCase c, size_t bytes) {
  c.misalign = bytes;
  c.name += " misaligned+" + std::to_string(bytes);
  return c;
}

std::vector<Tensor> make_inputs(const OpCase& c) {
  std::mt19937 rng(case_seed(c.name));
  std::vector<Tensor> inputs;
  for (const InputSpec& spec : c.inputs) {
    Tensor t = Tensor::empty(spec.shape, spec.dtype);
    spec.fill(rng, t);
    inputs.push_back(std::move(t));
  }
  return inputs;
}

void* CaseInstance::Region::payload() const { return static_cast<uint8_t*>(base.get()) + lead; }

void* CaseInstance::add_region(const std::string& label, Role role, size_t bytes, int element_size,
                               const void* payload) {
  Region r;
  r.label = label;
  r.role = role;
  r.bytes = bytes;
  r.element_size = element_size;
  r.salt = static_cast<uint32_t>(regions_.size() * 2 + 1);
  r.lead = kGuardBytes + case_.misalign;
  const size_t total = r.lead + bytes + kGuardBytes;
  Backend& backend = backend_;
  r.base = std::shared_ptr<void>(backend.allocate(total),
                                 [&backend](void* p) { backend.deallocate(p); });
  r.image.assign(total, 0xFF);
  fill_guard(r.image.data(), r.lead, r.salt);
  fill_guard(r.image.data() + r.lead + bytes, kGuardBytes, r.salt + 1);
  if (payload) std::memcpy(r.image.data() + r.lead, payload, bytes);
  backend_.upload(r.base.get(), r.image.data(), total);
  regions_.push_back(std::move(r));
  return regions_.back().payload();
}

CaseInstance::CaseInstance(const OpCase& c, Backend& backend,
                           const std::vector<Tensor>& host_inputs)
    : case_(c), backend_(backend) {
  P3D_CHECK(host_inputs.size() == c.inputs.size(), c.name, ": expected ", c.inputs.size(),
            " inputs");
  regions_.reserve(c.inputs.size() + 2);
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const InputSpec& spec = c.inputs[i];
    const Tensor& host = host_inputs[i];
    if (spec.pack) {
      Packed packed{spec.label, spec.pack(backend_, host), {}};
      packed.snapshot.resize(packed.tensor.bytes());
      backend_.download(packed.snapshot.data(), packed.tensor.raw(), packed.snapshot.size());
      args_.inputs.push_back(packed.tensor.raw());
      packed_.push_back(std::move(packed));
    } else {
      args_.inputs.push_back(add_region(spec.label, Role::Input, host.bytes(),
                                        static_cast<int>(dtype_size(host.dtype())), host.raw()));
    }
  }
  const size_t out_bytes = static_cast<size_t>(c.out_shape.numel()) * dtype_size(c.out_dtype);
  if (c.output_aliases >= 0) {
    // In place: the aliased input's region is the output (its guards still checked, its
    // payload no longer expected unchanged).
    const size_t k = static_cast<size_t>(c.output_aliases);
    P3D_CHECK(k < c.inputs.size() && !c.inputs[k].pack && host_inputs[k].bytes() == out_bytes &&
                  host_inputs[k].dtype() == c.out_dtype,
              c.name, ": output_aliases names no plain input of the output's size and dtype");
    args_.output = const_cast<void*>(args_.inputs[k]);
    for (Region& r : regions_)
      if (r.payload() == args_.output) {
        r.role = Role::Output;
        r.label += " (= output)";
      }
  } else {
    args_.output = add_region("output", Role::Output, out_bytes,
                              static_cast<int>(dtype_size(c.out_dtype)), nullptr);
  }
  const size_t workspace = c.workspace ? c.workspace(backend_) : 0;
  if (workspace > 0)
    args_.workspace = add_region("workspace", Role::Workspace, workspace, 1, nullptr);
  backend_.synchronize();
}

void CaseInstance::launch() { case_.launch(backend_, args_); }

Tensor CaseInstance::output() {
  backend_.synchronize();
  Tensor host = Tensor::empty(case_.out_shape, case_.out_dtype);
  if (host.bytes()) backend_.download(host.raw(), args_.output, host.bytes());
  return host;
}

std::vector<std::string> CaseInstance::integrity_problems() {
  backend_.synchronize();
  std::vector<std::string> problems;
  for (const Region& r : regions_) {
    std::vector<uint8_t> now(r.image.size());
    backend_.download(now.data(), r.base.get(), now.size());
    const int64_t before = find_guard_damage(now.data(), r.lead, r.salt);
    if (before >= 0) {
      problems.push_back("write before the start of " + r.label + ": guard byte " +
                         std::to_string(int64_t(r.lead) - before) + " bytes before it changed");
    }
    const int64_t after = find_guard_damage(now.data() + r.lead + r.bytes, kGuardBytes, r.salt + 1);
    if (after >= 0) {
      problems.push_back("write past the end of " + r.label + " (" + std::to_string(r.bytes) +
                         " bytes): guard byte at +" + std::to_string(after) + " changed");
    }
    if (r.role == Role::Input) {
      for (size_t i = 0; i < r.bytes; ++i) {
        if (now[r.lead + i] != r.image[r.lead + i]) {
          problems.push_back("input " + r.label + " was modified, first at element " +
                             std::to_string(i / static_cast<size_t>(r.element_size)));
          break;
        }
      }
    }
  }
  for (const Packed& p : packed_) {
    std::vector<uint8_t> now(p.snapshot.size());
    backend_.download(now.data(), p.tensor.raw(), now.size());
    if (now != p.snapshot) problems.push_back("packed " + p.label + " was modified by the kernel");
  }
  return problems;
}

CaseRun run_case(const OpCase& c, Backend& backend, const std::vector<Tensor>& host_inputs) {
  CaseInstance instance(c, backend, host_inputs);
  instance.launch();
  CaseRun run;
  run.output = instance.output();
  run.problems = instance.integrity_problems();
  return run;
}

Comparison check_against_reference(const OpCase& c, const std::vector<Tensor>& inputs,
                                   const Tensor& output) {
  if (c.large && c.reference_at) {
    const std::vector<int64_t> indices = sample_indices(c);
    std::vector<double> expected;
    expected.reserve(indices.size());
    for (int64_t i : indices) expected.push_back(c.reference_at(inputs, i));
    return compare_at(output, indices, expected, c.vs_reference);
  }
  P3D_CHECK(c.reference, c.name, ": the case has no naive reference");
  Tensor expected = Tensor::empty(c.out_shape, c.out_dtype);
  c.reference(inputs, expected);
  return compare(output, expected, c.vs_reference);
}

std::string identifier(const std::string& name) {
  std::string out;
  for (unsigned char ch : name) {
    if (std::isalnum(ch))
      out += static_cast<char>(ch);
    else if (!out.empty() && out.back() != '_')
      out += '_';
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

}  // namespace p3d::test
