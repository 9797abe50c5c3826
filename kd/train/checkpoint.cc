#include "kd/train/checkpoint.h"

#include <torch/csrc/jit/serialization/pickle.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kd {
namespace {

std::string ShapeString(const torch::Tensor& t) {
  return absl::StrCat("[", absl::StrJoin(t.sizes(), ","), "]");
}

// "a, b, c and 7 more".
std::string ListSome(const std::vector<std::string>& items) {
  constexpr size_t kMax = 8;
  std::vector<std::string> shown(items.begin(),
                                 items.begin() + std::min(items.size(), kMax));
  std::string out = absl::StrJoin(shown, ", ");
  if (items.size() > kMax) {
    absl::StrAppend(&out, " and ", items.size() - kMax, " more");
  }
  return out;
}

}  // namespace

absl::Status SaveTensorMap(const std::string& path, const TensorMap& tensors) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, tensor] : tensors) {
    dict.insert(name, tensor.detach().to(torch::kCPU).contiguous());
  }
  std::vector<char> bytes;
  try {
    bytes = torch::jit::pickle_save(dict);
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("cannot serialise checkpoint ", path, ": ", e.what()));
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      return absl::InternalError(absl::StrCat("cannot write ", tmp));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return absl::InternalError(
        absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<TensorMap> LoadTensorMap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("checkpoint ", path, ": no such file or not readable"));
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  c10::IValue value;
  try {
    value = torch::jit::pickle_load(bytes);
  } catch (const std::exception& e) {
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    return absl::InvalidArgumentError(absl::StrCat(
        "checkpoint ", path,
        ": not a tensor dictionary written by this library or torch.save (",
        what, ")"));
  }
  if (!value.isGenericDict()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "checkpoint ", path, ": expected a dictionary of tensors, found ",
        value.tagKind()));
  }
  TensorMap out;
  for (const auto& entry : value.toGenericDict()) {
    if (!entry.key().isString() || !entry.value().isTensor()) {
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint ", path,
                       ": expected string keys and tensor values, found ",
                       entry.key().tagKind(), " -> ", entry.value().tagKind()));
    }
    out[entry.key().toStringRef()] = entry.value().toTensor();
  }
  return out;
}

void AddModuleState(const torch::nn::Module& module, const std::string& prefix,
                    TensorMap* out) {
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    (*out)[prefix + p.key()] = p.value();
  }
  for (const auto& b : module.named_buffers(/*recurse=*/true)) {
    (*out)[prefix + b.key()] = b.value();
  }
}

absl::Status LoadModuleState(const TensorMap& in, const std::string& prefix,
                             const std::string& source,
                             torch::nn::Module* module) {
  std::vector<std::pair<std::string, torch::Tensor>> targets;
  for (const auto& p : module->named_parameters(true)) {
    targets.emplace_back(p.key(), p.value());
  }
  for (const auto& b : module->named_buffers(true)) {
    targets.emplace_back(b.key(), b.value());
  }
  std::vector<std::string> missing, misshaped, unexpected;
  std::map<std::string, bool> known;
  for (const auto& [name, tensor] : targets) {
    known[prefix + name] = true;
    auto it = in.find(prefix + name);
    if (it == in.end()) {
      missing.push_back(prefix + name);
    } else if (!it->second.sizes().equals(tensor.sizes())) {
      misshaped.push_back(absl::StrCat(prefix, name, " (file ",
                                       ShapeString(it->second), ", model ",
                                       ShapeString(tensor), ")"));
    }
  }
  for (auto it = in.lower_bound(prefix);
       it != in.end() && absl::StartsWith(it->first, prefix); ++it) {
    if (!known.count(it->first)) unexpected.push_back(it->first);
  }
  if (!missing.empty() || !misshaped.empty() || !unexpected.empty()) {
    std::vector<std::string> parts;
    if (!misshaped.empty()) {
      parts.push_back(
          absl::StrCat(misshaped.size(), " mis-shaped: ", ListSome(misshaped)));
    }
    if (!missing.empty()) {
      parts.push_back(
          absl::StrCat(missing.size(), " missing: ", ListSome(missing)));
    }
    if (!unexpected.empty()) {
      parts.push_back(absl::StrCat(unexpected.size(),
                                   " unexpected: ", ListSome(unexpected)));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint ", source, " does not match the model",
                     prefix.empty() ? "" : absl::StrCat(" (", prefix, "*)"),
                     " (another architecture?): ", absl::StrJoin(parts, "; ")));
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : targets) {
    tensor.copy_(in.at(prefix + name));
  }
  return absl::OkStatus();
}

void AddSgdState(const torch::optim::SGD& optimizer,
                 const torch::nn::Module& module, const std::string& prefix,
                 TensorMap* out) {
  const auto& state = optimizer.state();
  for (const auto& p : module.named_parameters(true)) {
    auto it = state.find(c10::guts::to_string(p.value().unsafeGetTensorImpl()));
    if (it == state.end()) continue;
    const auto& sgd_state =
        static_cast<const torch::optim::SGDParamState&>(*it->second);
    if (sgd_state.momentum_buffer().defined()) {
      (*out)[prefix + p.key()] = sgd_state.momentum_buffer();
    }
  }
}

absl::Status LoadSgdState(const TensorMap& in, const std::string& prefix,
                          const std::string& source,
                          const torch::nn::Module& module,
                          torch::optim::SGD* optimizer) {
  auto& state = optimizer->state();
  for (const auto& p : module.named_parameters(true)) {
    const std::string key =
        c10::guts::to_string(p.value().unsafeGetTensorImpl());
    auto it = in.find(prefix + p.key());
    if (it == in.end()) {
      state.erase(key);
      continue;
    }
    if (!it->second.sizes().equals(p.value().sizes())) {
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint ", source, ": optimiser state ", prefix,
                       p.key(), " has shape ", ShapeString(it->second),
                       ", parameter has ", ShapeString(p.value())));
    }
    auto sgd_state = std::make_unique<torch::optim::SGDParamState>();
    sgd_state->momentum_buffer(
        it->second.to(p.value().device()).clone().contiguous());
    state[key] = std::move(sgd_state);
  }
  return absl::OkStatus();
}

}  // namespace kd
