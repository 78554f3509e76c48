#include "core/read_hints.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace genesis {
namespace {

constexpr char kAxisLetters[] = {'x', 'y', 'z', 't'};  // Indexed by ImageAxis.

}  // namespace

std::string AxisOrderName(const AxisOrder& axes) {
  std::string name;
  for (ImageAxis a : axes) name += kAxisLetters[static_cast<int>(a)];
  return name;
}

absl::StatusOr<AxisOrder> ParseAxisOrder(absl::string_view name) {
  AxisOrder axes;
  for (char c : name) {
    bool known = false;
    for (int a = 0; a < 4; ++a) {
      if (c == kAxisLetters[a]) {
        axes.push_back(static_cast<ImageAxis>(a));
        known = true;
      }
    }
    if (!known) {
      return absl::InvalidArgumentError(absl::StrCat("axes '", name, "': unknown axis '",
                                                     std::string(1, c),
                                                     "' (expected letters of x, y, z, t)"));
    }
  }
  absl::Status valid = ValidateAxisOrder(axes);
  if (!valid.ok()) return valid;
  return axes;
}

absl::Status ValidateAxisOrder(const AxisOrder& axes) {
  int count[4] = {0, 0, 0, 0};
  for (ImageAxis a : axes) ++count[static_cast<int>(a)];
  for (int a = 0; a < 4; ++a) {
    if (count[a] > 1) {
      return absl::InvalidArgumentError(absl::StrCat("axes '", AxisOrderName(axes), "': axis ",
                                                     std::string(1, kAxisLetters[a]),
                                                     " appears twice"));
    }
  }
  if (count[static_cast<int>(ImageAxis::kX)] == 0 || count[static_cast<int>(ImageAxis::kY)] == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("axes '", AxisOrderName(axes), "': must name both x and y"));
  }
  return absl::OkStatus();
}

std::string DescribeReadHints(const ReadHints& hints) {
  std::vector<std::string> parts;
  if (hints.channel) parts.push_back(absl::StrCat("channel=", *hints.channel));
  if (hints.value_offset) parts.push_back(absl::StrCat("value_offset=", *hints.value_offset));
  if (hints.mat_variable) parts.push_back(absl::StrCat("mat_variable=", *hints.mat_variable));
  if (hints.axes) parts.push_back(absl::StrCat("axes=", AxisOrderName(*hints.axes)));
  return parts.empty() ? "none" : absl::StrJoin(parts, ", ");
}

}  // namespace genesis
