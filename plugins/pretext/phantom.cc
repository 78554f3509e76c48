#include "plugins/pretext/phantom.h"

#include <algorithm>
#include <cmath>

namespace genesis {

Slice SheppLoganPhantom(int64_t size) {
  // intensity, semi-axis a, semi-axis b, centre x, centre y, angle (degrees).
  static constexpr double kEllipses[10][6] = {
      {1.0, 0.69, 0.92, 0.0, 0.0, 0.0},      {-0.8, 0.6624, 0.874, 0.0, -0.0184, 0.0},
      {-0.2, 0.11, 0.31, 0.22, 0.0, -18.0},  {-0.2, 0.16, 0.41, -0.22, 0.0, 18.0},
      {0.1, 0.21, 0.25, 0.0, 0.35, 0.0},     {0.1, 0.046, 0.046, 0.0, 0.1, 0.0},
      {0.1, 0.046, 0.046, 0.0, -0.1, 0.0},   {0.1, 0.046, 0.023, -0.08, -0.605, 0.0},
      {0.1, 0.023, 0.023, 0.0, -0.606, 0.0}, {0.1, 0.023, 0.046, 0.06, -0.605, 0.0},
  };
  Slice image(size, size, 0.0f);
  for (int64_t row = 0; row < size; ++row) {
    const double y = 1.0 - (2.0 * row + 1.0) / size;  // Top row is y near +1.
    for (int64_t col = 0; col < size; ++col) {
      const double x = (2.0 * col + 1.0) / size - 1.0;
      double v = 0.0;
      for (const auto& e : kEllipses) {
        const double phi = e[5] * M_PI / 180.0;
        const double dx = x - e[3], dy = y - e[4];
        const double u = (dx * std::cos(phi) + dy * std::sin(phi)) / e[1];
        const double w = (-dx * std::sin(phi) + dy * std::cos(phi)) / e[2];
        if (u * u + w * w <= 1.0) v += e[0];
      }
      image.at(col, row) = static_cast<float>(std::clamp(v, 0.0, 1.0));
    }
  }
  return image;
}

}  // namespace genesis
