// Subcommands of the `genesis` binary. The CLI core dispatches `genesis NAME ARGS...` to the
// command registered under NAME; commands live with what they drive (e.g. `inspect` beside the
// readers) and register once:
//
//   GENESIS_REGISTER_COMMAND("inspect", "FILE|DIR ... : print volume geometry as JSON",
//                            &InspectMain);
//
// `main` receives the positional arguments after NAME (flags are parsed by absl already) and
// returns the process exit code.
#ifndef GENESIS_CORE_COMMAND_H_
#define GENESIS_CORE_COMMAND_H_

#include <functional>
#include <string>
#include <vector>

namespace genesis {

struct Command {
  std::string name;
  std::string help;
  std::function<int(const std::vector<std::string>& args)> main;
};

bool RegisterCommand(Command command);
const Command* FindCommand(const std::string& name);
std::vector<const Command*> AllCommands();  // Sorted by name.

}  // namespace genesis

#define GENESIS_COMMAND_CONCAT_INNER_(a, b) a##b
#define GENESIS_COMMAND_CONCAT_(a, b) GENESIS_COMMAND_CONCAT_INNER_(a, b)
#define GENESIS_REGISTER_COMMAND(name, help, main)                                     \
  [[maybe_unused]] static const bool GENESIS_COMMAND_CONCAT_(genesis_command_, __LINE__) = \
      ::genesis::RegisterCommand({name, help, main})

#endif  // GENESIS_CORE_COMMAND_H_
