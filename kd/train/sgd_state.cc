#include "kd/train/sgd_state.h"

#include "absl/strings/str_cat.h"
#include "kd/base/tensor_text.h"

namespace kd {

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
      (*out)[prefix + p.key()] = sgd_state.momentum_buffer().contiguous();
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
                       p.key(), " has shape ", ShapeText(it->second),
                       ", parameter has ", ShapeText(p.value())));
    }
    auto sgd_state = std::make_unique<torch::optim::SGDParamState>();
    // In the parameter's memory layout (channels-last convolutions).
    sgd_state->momentum_buffer(torch::empty_like(p.value()).copy_(it->second));
    state[key] = std::move(sgd_state);
  }
  return absl::OkStatus();
}

}  // namespace kd
