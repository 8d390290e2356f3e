#include "config/print_config.h"

#include <algorithm>
#include <vector>

#include "config/setting_table.h"

namespace qilin::config {

std::string print_config_text(const Config& config, const HandleFormatter& format_handle) {
  std::vector<const Setting*> rows;
  size_t width = 0;
  for (const Setting& row : setting_table()) {
    rows.push_back(&row);
    width = std::max(width, row.name.size());
  }
  std::sort(rows.begin(), rows.end(),
            [](const Setting* a, const Setting* b) { return a->name < b->name; });
  std::string out;
  for (const Setting* row : rows) {
    std::string name(row->name);
    name.resize(width, ' ');
    out += name + " = " + display_value(*row, config.value(row->name), format_handle) + "\n";
  }
  return out;
}

}  // namespace qilin::config
