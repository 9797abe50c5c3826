#include "kd/dist/all_gather.h"

#include <torch/autograd.h>

#include <stdexcept>
#include <vector>

#include "absl/strings/str_cat.h"

namespace kd {
namespace {

// Rank r's `local` from every rank, stacked; throws on a failed collective.
torch::Tensor GatherNoGrad(DistGroup& group, const torch::Tensor& local) {
  const torch::Tensor input = local.detach().contiguous();
  std::vector<std::vector<at::Tensor>> outputs(1);
  for (int r = 0; r < group.world_size(); ++r) {
    outputs[0].push_back(torch::empty_like(input));
  }
  std::vector<at::Tensor> inputs{input};
  try {
    group.activations()->allgather(outputs, inputs)->wait();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(
        group
            .Failure(absl::StrCat("all-gather of a [", input.numel(),
                                  "]-element batch tensor"),
                     e)
            .message()));
  }
  return torch::stack(outputs[0]);
}

// The group travels into backward() as a capsule in the context's saved
// data (it outlives every step of the run).
struct GroupCapsule : torch::CustomClassHolder {
  explicit GroupCapsule(DistGroup* g) : group(g) {}
  DistGroup* group;
};

class AllGatherFunction : public torch::autograd::Function<AllGatherFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx,
                               const torch::Tensor& local, DistGroup* group) {
    ctx->saved_data["group"] =
        c10::IValue::make_capsule(c10::make_intrusive<GroupCapsule>(group));
    return GatherNoGrad(*group, local);
  }

  static torch::autograd::variable_list backward(
      torch::autograd::AutogradContext* ctx,
      torch::autograd::variable_list grad_outputs) {
    const c10::intrusive_ptr<torch::CustomClassHolder> capsule =
        ctx->saved_data["group"].toCapsule();
    DistGroup& group = *static_cast<GroupCapsule*>(capsule.get())->group;
    std::vector<at::Tensor> grad{grad_outputs[0].contiguous().clone()};
    try {
      group.activations()->allreduce(grad)->wait();
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string(
          group.Failure("all-reduce of gathered gradients", e).message()));
    }
    return {grad[0].select(0, group.rank()), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor AllGatherStacked(DistGroup& group, const torch::Tensor& local) {
  if (local.requires_grad() && torch::GradMode::is_enabled()) {
    return AllGatherFunction::apply(local, &group);
  }
  return GatherNoGrad(group, local);
}

torch::Tensor AllGatherBatch(DistGroup& group, const torch::Tensor& local) {
  const torch::Tensor stacked = AllGatherStacked(group, local);  // [W, B, ...]
  std::vector<int64_t> shape = local.sizes().vec();
  shape[0] *= group.world_size();
  return stacked.transpose(0, 1).reshape(shape);
}

}  // namespace kd
