// A wrong-device detector that needs no GPU. Inside a CheckedMetaDevice
// scope the meta device (tensors with shapes and no data) behaves like a
// second device such as CUDA: modules move to it with .to(torch::kMeta),
// whole networks, losses and training steps run on it, and every operator
// that mixes a meta tensor with a CPU tensor of one element or more fails
// with "Expected all tensors to be on the same device ... meta and cpu". A
// module that keeps CPU state after .to() (a plain tensor member, a tensor
// made without the input's device) therefore fails here where it would
// fail on CUDA. Copies between the devices (.to(), copy_) stay allowed.
//
// libtorch 1.13 has no meta kernel for many operators (convolutions,
// batch norm, index_select, ...); for those the library runs the CPU
// kernel on stand-ins (zeros for integer tensors, so that indices stay in
// range; ones for floating ones; true for masks) to learn the shapes of the
// results, and returns meta tensors. Values are meaningless on meta: only
// devices, shapes and dtypes are checked, and Tensor::item() gives the
// stand-in's value (1 or 0).
//
//   CheckedMetaDevice meta;
//   module->to(torch::kMeta);
//   module->forward(torch::randn({8, 3, 32, 32}, torch::kMeta)).sum()
//       .backward();   // throws if anything stayed on the CPU
#ifndef TESTS_TESTING_CHECKED_META_DEVICE_H_
#define TESTS_TESTING_CHECKED_META_DEVICE_H_

namespace kd {
namespace testing {

// Turns the checks on for this thread while in scope (the autograd engine
// carries them into backward).
class CheckedMetaDevice {
 public:
  CheckedMetaDevice();
  ~CheckedMetaDevice();
  CheckedMetaDevice(const CheckedMetaDevice&) = delete;
  CheckedMetaDevice& operator=(const CheckedMetaDevice&) = delete;

 private:
  bool was_enabled_;
};

// How many operator calls ran on stand-ins so far (a test can check that
// work really happened on meta).
long MetaFallbackCalls();

}  // namespace testing
}  // namespace kd

#endif  // TESTS_TESTING_CHECKED_META_DEVICE_H_
