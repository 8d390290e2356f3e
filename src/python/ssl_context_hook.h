// The ssl_context server hook (gunicorn's NewSSLContext):
// ssl_context(config, default_ssl_context_factory) returns the Python
// ssl.SSLContext TLS listeners serve with. gunicorn calls it in the worker
// for every connection; qilin calls it once, in the master, where the
// settings become options (at start-up, on HUP, and for --check-config), and
// every worker serves from the context it returned.
//
// `config` is the settings being converted, as `cfg` shows them; it may be
// read while the hook runs (afterwards, reading it raises). The factory
// builds gunicorn's default context from them: ssl.create_default_context
// (Purpose.CLIENT_AUTH, cafile=ca_certs), load_cert_chain(certfile,
// keyfile), verify_mode = cert_reqs, and set_ciphers(ciphers) when set.
//
// What the hook returns is served as it is: qilin takes the OpenSSL context
// inside the Python object (SSL_CTX_up_ref) and keeps the object alive with
// it, so certificates, verification, versions, ciphers, options and ALPN are
// the hook's. That needs Python's _ssl to link the libssl that qilin's TLS
// library (libqilin-tls.so, loaded first) links; it is checked, and refused
// with one line when it does not. Refused too: anything but an
// ssl.SSLContext, a client-side context, one without a certificate, and one
// with an sni_callback (a Python callback during the handshake, which qilin
// runs in C++). keylog_filename and the message callback are
// dropped with a warning in the error log.
#pragma once

#include "arbiter/arbiter_options.h"
#include "log/error_log.h"

namespace qilin::python {

// The maker arbiter_options_from() uses: with no ssl_context hook in the
// settings, tls::ServerContext::create; with one, the context it returns.
// A hook that raises is an error carrying "Exception in ssl_context hook"
// and the traceback. Warnings go to `log`, which must outlive the maker.
// Takes the GIL itself; master thread only.
arbiter::TlsContextMaker tls_context_maker(log::ErrorLog& log);

}  // namespace qilin::python
