// Two Shape plugins, registered the way every real plugin is.
#include "tests/kd/test_shapes.h"

namespace kd {

class Square : public Shape {
 public:
  static constexpr char kDoc[] = "a square";
  static OptionSchema Schema() {
    return {{"side", OptionType::kDouble, "1", "side length"}};
  }
  static absl::StatusOr<std::unique_ptr<Shape>> Create(
      const Options& options, const ShapeContext& context) {
    const double side = options.GetDouble("side") * context.scale;
    if (side <= 0)
      return absl::InvalidArgumentError("square: side must be > 0");
    return std::unique_ptr<Shape>(new Square(side));
  }
  double Area() const override { return side_ * side_; }

 private:
  explicit Square(double side) : side_(side) {}
  double side_;
};
KD_REGISTER(Shape, Square, "square");

class Rectangle : public Shape {
 public:
  static constexpr char kDoc[] = "a rectangle";
  static OptionSchema Schema() {
    return {{"width", OptionType::kDouble, "", "width", /*required=*/true},
            {"height", OptionType::kDouble, "1", "height"}};
  }
  static absl::StatusOr<std::unique_ptr<Shape>> Create(
      const Options& options, const ShapeContext& context) {
    return std::unique_ptr<Shape>(
        new Rectangle(options.GetDouble("width") * context.scale,
                      options.GetDouble("height") * context.scale));
  }
  double Area() const override { return width_ * height_; }

 private:
  Rectangle(double width, double height) : width_(width), height_(height) {}
  double width_, height_;
};
KD_REGISTER(Shape, Rectangle, "rectangle");

}  // namespace kd
