#include "core/command.h"

#include <map>
#include <mutex>

#include "absl/flags/flag.h"
#include "glog/logging.h"

// Shared by commands that write one file (e.g. `genesis patch ... --output OUT.npy`); absl
// flags are global, so a command reads it with absl::GetFlag(FLAGS_output) through
// ABSL_DECLARE_FLAG(std::string, output) instead of defining its own.
ABSL_FLAG(std::string, output, "", "the file a command writes (genesis patch, ...)");
// Likewise the folder a command writes into (genesis phantoms, genesis report, ...).
ABSL_FLAG(std::string, out, "", "the folder a command writes into (genesis phantoms, report)");

namespace genesis {
namespace {

struct Commands {
  std::mutex mu;
  std::map<std::string, Command> by_name;
};

Commands& GetCommands() {
  static Commands* const commands = new Commands();
  return *commands;
}

}  // namespace

bool RegisterCommand(Command command) {
  Commands& c = GetCommands();
  std::lock_guard<std::mutex> lock(c.mu);
  const std::string name = command.name;
  CHECK(c.by_name.emplace(name, std::move(command)).second)
      << "duplicate genesis command '" << name << "'";
  return true;
}

const Command* FindCommand(const std::string& name) {
  Commands& c = GetCommands();
  std::lock_guard<std::mutex> lock(c.mu);
  auto it = c.by_name.find(name);
  return it == c.by_name.end() ? nullptr : &it->second;
}

std::vector<const Command*> AllCommands() {
  Commands& c = GetCommands();
  std::lock_guard<std::mutex> lock(c.mu);
  std::vector<const Command*> all;
  for (const auto& [name, command] : c.by_name) all.push_back(&command);
  return all;
}

}  // namespace genesis
