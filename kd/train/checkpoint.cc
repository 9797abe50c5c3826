#include "kd/train/checkpoint.h"

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "backbones/state_dict.h"

namespace kd {
namespace {

std::string ShapeString(const torch::Tensor& t) {
  return absl::StrCat("[", absl::StrJoin(t.sizes(), ","), "]");
}

}  // namespace

absl::Status SaveTensorMap(const std::string& path, const TensorMap& tensors) {
  TensorDict cpu;
  for (const auto& [name, tensor] : tensors) {
    cpu[name] = tensor.detach().to(torch::kCPU).contiguous();
  }
  return WriteTensorDict(cpu, path);
}

absl::StatusOr<TensorMap> LoadTensorMap(const std::string& path) {
  std::ifstream probe(path, std::ios::binary);
  if (!probe) {
    return absl::NotFoundError(
        absl::StrCat("checkpoint ", path, ": no such file or not readable"));
  }
  return ReadStateDict(path);
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
  TensorDict entries;
  for (auto it = in.lower_bound(prefix);
       it != in.end() && absl::StartsWith(it->first, prefix); ++it) {
    entries[it->first.substr(prefix.size())] = it->second;
  }
  return LoadStateDict(*module, entries,
                       prefix.empty()
                           ? absl::StrCat("checkpoint ", source)
                           : absl::StrCat("checkpoint ", source, " (entries ",
                                          prefix, "*, another architecture?)"));
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
