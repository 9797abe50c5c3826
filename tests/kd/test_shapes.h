// A toy plugin kind used to test the registry: shapes with an area.
#ifndef KD_TESTS_KD_TEST_SHAPES_H_
#define KD_TESTS_KD_TEST_SHAPES_H_

#include "kd/registry.h"

namespace kd {

// What every Shape factory receives besides its options.
struct ShapeContext {
  double scale = 1.0;
};

class Shape {
 public:
  static constexpr char kPluginKind[] = "shape";
  using Registry = ::kd::Registry<Shape, const ShapeContext&>;
  virtual ~Shape() = default;
  virtual double Area() const = 0;
};

}  // namespace kd

#endif  // KD_TESTS_KD_TEST_SHAPES_H_
