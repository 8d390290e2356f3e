// libqilin-tls.so's one exported symbol (the library is built with hidden
// visibility): the table tls/library.h loads.
#include <string_view>

#include "tls/library.h"
#include "tls/openssl/server_context.h"
#include "tls/openssl/session.h"

extern "C" __attribute__((visibility("default"))) const qilin::tls::Library* qilin_tls_library() {
  namespace o = qilin::tls::openssl;
  static const qilin::tls::Library kTable = {
      .abi = qilin::tls::kLibraryAbi,
      .create = o::create,
      .adopt = o::adopt,
      .accept = o::accept,
      .openssl_version_number = o::openssl_version_number,
      .openssl_version_text = o::openssl_version_text,
      .shares_libssl = o::shares_libssl,
  };
  return &kTable;
}

// The loader looks this function up by name, as a LibraryEntry.
static_assert(std::string_view(qilin::tls::kLibraryEntry) == "qilin_tls_library");
[[maybe_unused]] static constexpr qilin::tls::LibraryEntry kEntryHasTheRightType =
    qilin_tls_library;
