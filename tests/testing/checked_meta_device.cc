#include "tests/testing/checked_meta_device.h"

#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/op_registration/op_registration.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/library.h>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace kd {
namespace testing {
namespace {

std::atomic<long> fallback_calls{0};

// A CPU tensor standing in for meta tensor `t`: same sizes, strides when
// they are dense, dtype; ones or zeros.
at::Tensor StandIn(const at::Tensor& t) {
  at::Tensor cpu = at::empty_like(t, t.options().device(at::kCPU));
  // Integer tensors are often indices: 0 is in range of any non-empty
  // dimension. Masks are all true, so masked_select and nonzero keep every
  // element.
  const at::ScalarType type = t.scalar_type();
  cpu.fill_(at::isIntegralType(type, /*includeBool=*/false) ? 0 : 1);
  return cpu;
}

at::Tensor ToMeta(const at::Tensor& t) {
  if (!t.defined()) return t;
  return at::empty_strided(t.sizes(), t.strides(),
                           t.options().device(at::kMeta));
}

// Next to meta tensors, a CPU tensor of more than zero dimensions is the
// error this library exists to find.
void CheckNextToMeta(const at::Tensor& t, const std::string& op) {
  if (!t.defined() || t.is_meta()) return;
  TORCH_CHECK(t.dim() == 0 && t.is_cpu(),
              "Expected all tensors to be on the same device, but found at "
              "least two devices, meta and ",
              t.device(), "! (", op, ", checked meta device)");
}

// Meta tensors become stand-ins; CPU scalars stay.
at::Tensor CheckedStandIn(const at::Tensor& t, const std::string& op) {
  CheckNextToMeta(t, op);
  return t.defined() && t.is_meta() ? StandIn(t) : t;
}

c10::IValue StandInValue(const c10::IValue& v, const std::string& op) {
  if (v.isTensor()) return CheckedStandIn(v.toTensor(), op);
  if (v.isTensorList()) {
    c10::List<at::Tensor> list;
    for (const at::Tensor& t : v.toTensorList()) {
      list.push_back(CheckedStandIn(t, op));
    }
    return list;
  }
  if (v.isList()) {  // e.g. Tensor?[] of index.Tensor
    c10::impl::GenericList in = v.toList();
    c10::impl::GenericList out(in.elementType());
    for (const c10::IValue& e : in) out.push_back(StandInValue(e, op));
    return out;
  }
  return v;
}

c10::IValue MetaValue(const c10::IValue& v) {
  if (v.isTensor()) return ToMeta(v.toTensor());
  if (v.isTensorList()) {
    c10::List<at::Tensor> list;
    for (const at::Tensor& t : v.toTensorList()) list.push_back(ToMeta(t));
    return list;
  }
  return v;
}

// Runs `op` (or `compute`, an operator with the same arguments that CPU
// implements) on stand-ins and replaces the results by meta tensors;
// results that alias a written argument (in-place and out= variants) are
// that argument, resized to the result's shape.
void RunOnStandIns(const c10::OperatorHandle& op, torch::jit::Stack* stack,
                   const c10::OperatorHandle& compute) {
  ++fallback_calls;
  const c10::FunctionSchema& schema = op.schema();
  const std::string name = schema.name();
  const size_t num_args = schema.arguments().size();
  const size_t first = stack->size() - num_args;
  std::vector<c10::IValue> originals(stack->begin() + first, stack->end());
  for (size_t i = 0; i < num_args; ++i) {
    (*stack)[first + i] = StandInValue(originals[i], name);
  }
  {
    // Plain CPU kernels: no autograd recording for the stand-ins.
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    compute.callBoxed(stack);
  }
  const size_t num_returns = schema.returns().size();
  const size_t first_return = stack->size() - num_returns;
  for (size_t j = 0; j < num_returns; ++j) {
    c10::IValue& result = (*stack)[first_return + j];
    const c10::AliasInfo* alias = schema.returns()[j].alias_info();
    bool aliased = false;
    if (alias != nullptr && alias->isWrite()) {
      for (size_t i = 0; i < num_args; ++i) {
        const c10::AliasInfo* arg = schema.arguments()[i].alias_info();
        if (arg != nullptr && arg->isWrite() &&
            arg->beforeSets() == alias->beforeSets() &&
            originals[i].isTensor()) {
          at::Tensor target = originals[i].toTensor();
          if (result.isTensor() &&
              target.sizes() != result.toTensor().sizes()) {
            target.resize_(result.toTensor().sizes());
          }
          result = target;
          aliased = true;
          break;
        }
      }
    }
    if (!aliased) result = MetaValue(result);
  }
}

void MetaFallback(const c10::OperatorHandle& op, torch::jit::Stack* stack) {
  RunOnStandIns(op, stack, op);
}

// The convolution entry points that meta tensors reach in libtorch 1.13
// have a default kernel that only throws; run the CPU convolution instead.
c10::OperatorHandle Find(const char* name, const char* overload) {
  return c10::Dispatcher::singleton().findSchemaOrThrow(name, overload);
}

void ConvolutionOnStandIns(const c10::OperatorHandle& op,
                           torch::jit::Stack* stack) {
  static const c10::OperatorHandle convolution = Find("aten::convolution", "");
  RunOnStandIns(op, stack, convolution);
}

// convolution_backward_overrideable(grad_output, input, weight, stride,
// padding, dilation, transposed, output_padding, groups, output_mask) ->
// (grad_input, grad_weight, grad_bias); the CPU's convolution_backward also
// takes bias_sizes after weight.
void ConvolutionBackwardOnStandIns(const c10::OperatorHandle& op,
                                   torch::jit::Stack* stack) {
  ++fallback_calls;
  const size_t first = stack->size() - 10;
  std::vector<c10::IValue> args(stack->begin() + first, stack->end());
  stack->resize(first);
  const std::string name = op.schema().name();
  const at::Tensor grad_output = CheckedStandIn(args[0].toTensor(), name);
  const at::Tensor input = CheckedStandIn(args[1].toTensor(), name);
  const at::Tensor weight = CheckedStandIn(args[2].toTensor(), name);
  const std::vector<int64_t> bias_sizes = {
      weight.size(args[6].toBool() ? 1 : 0)};
  const std::vector<bool> mask_list = args[9].toBoolList().vec();
  std::array<bool, 3> mask = {mask_list[0], mask_list[1], mask_list[2]};
  std::tuple<at::Tensor, at::Tensor, at::Tensor> grads;
  {
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    const int64_t groups = args[8].toInt();
    grads = at::convolution_backward(
        grad_output, input, weight, at::OptionalIntArrayRef(bias_sizes),
        args[3].toIntVector(), args[4].toIntVector(), args[5].toIntVector(),
        args[6].toBool(), args[7].toIntVector(), groups, mask);
  }
  stack->emplace_back(ToMeta(std::get<0>(grads)));
  stack->emplace_back(ToMeta(std::get<1>(grads)));
  stack->emplace_back(ToMeta(std::get<2>(grads)));
}

bool IsMetaNextToCpu(const at::Tensor& a, const at::Tensor& b) {
  return a.defined() && b.defined() && a.is_meta() != b.is_meta() &&
         (a.is_cpu() || b.is_cpu());
}

void ForEachTensor(const c10::IValue& v,
                   const std::function<void(const at::Tensor&)>& f) {
  if (v.isTensor()) {
    f(v.toTensor());
  } else if (v.isTensorList()) {
    for (const at::Tensor& t : v.toTensorList()) f(t);
  } else if (v.isList()) {
    for (const c10::IValue& e : v.toList()) ForEachTensor(e, f);
  }
}

// Above every other key while a CheckedMetaDevice is in scope: checks the
// devices of the arguments, then dispatches as usual.
void CheckDevices(const c10::OperatorHandle& op, c10::DispatchKeySet keys,
                  torch::jit::Stack* stack) {
  const c10::FunctionSchema& schema = op.schema();
  const std::string& name = schema.name();
  const size_t num_args = schema.arguments().size();
  const size_t first = stack->size() - num_args;
  if (name == "aten::_has_compatible_shallow_copy_type") {
    // Module::to() swaps a parameter's data with set_data(), which allows
    // CPU <-> CUDA but not CPU <-> meta; treat meta as CUDA.
    if (IsMetaNextToCpu((*stack)[first].toTensor(),
                        (*stack)[first + 1].toTensor())) {
      stack->resize(first);
      stack->emplace_back(true);
      return;
    }
  } else if (name != "aten::copy_" && name != "aten::_copy_from" &&
             name != "aten::_copy_from_and_resize" &&
             name != "aten::_to_copy" && name != "aten::to") {
    bool any_meta = false;
    for (size_t i = first; i < stack->size(); ++i) {
      ForEachTensor((*stack)[i], [&](const at::Tensor& t) {
        any_meta = any_meta || (t.defined() && t.is_meta());
      });
    }
    if (any_meta) {
      for (size_t i = first; i < stack->size(); ++i) {
        ForEachTensor((*stack)[i],
                      [&](const at::Tensor& t) { CheckNextToMeta(t, name); });
      }
    }
  }
  op.redispatchBoxed(
      keys & c10::DispatchKeySet(c10::DispatchKeySet::FULL_AFTER,
                                 c10::DispatchKey::TESTING_ONLY_GenericMode),
      stack);
}

TORCH_LIBRARY_IMPL(_, TESTING_ONLY_GenericMode, m) {
  m.fallback(torch::CppFunction::makeFromBoxedFunction<&CheckDevices>());
}

TORCH_LIBRARY_IMPL(_, Meta, m) {
  m.fallback(torch::CppFunction::makeFromBoxedFunction<&MetaFallback>());
}

TORCH_LIBRARY_IMPL(aten, Meta, m) {
  m.impl("convolution_overrideable",
         torch::CppFunction::makeFromBoxedFunction<&ConvolutionOnStandIns>());
  m.impl("convolution_backward_overrideable",
         torch::CppFunction::makeFromBoxedFunction<
             &ConvolutionBackwardOnStandIns>());
}

}  // namespace

CheckedMetaDevice::CheckedMetaDevice()
    : was_enabled_(c10::impl::tls_is_dispatch_key_included(
          c10::DispatchKey::TESTING_ONLY_GenericMode)) {
  c10::impl::tls_set_dispatch_key_included(
      c10::DispatchKey::TESTING_ONLY_GenericMode, true);
}

CheckedMetaDevice::~CheckedMetaDevice() {
  c10::impl::tls_set_dispatch_key_included(
      c10::DispatchKey::TESTING_ONLY_GenericMode, was_enabled_);
}

long MetaFallbackCalls() { return fallback_calls.load(); }

}  // namespace testing
}  // namespace kd
