#include "arbiter/arbiter_options.h"

#include <algorithm>

#include "core/strings.h"

namespace qilin::arbiter {

Result<ArbiterOptions> arbiter_options_from(const config::Config& config,
                                            const TlsContextMaker& make_tls_context) {
  ArbiterOptions o;
  for (const std::string& text : config.list("bind")) {
    auto address = sys::parse_bind_address(text);
    if (!address) return Result<ArbiterOptions>::error("Invalid bind address '" + text + "': " + address.message());
    o.bind.push_back(*address);
  }
  o.listen.backlog = int(config.integer("backlog"));
  o.listen.reuse_port = config.boolean("reuse_port");
  o.listen.umask = int(config.integer("umask"));
  o.workers = int(config.integer("workers"));
  if (o.workers < 1) o.workers = 1;
  // Class paths name the same two kinds; sync with threads > 1 becomes
  // gthread, as gunicorn switches it.
  const std::string& kind = config.string("worker_class");
  o.worker_class = kind.find("gthread") != std::string::npos ? "gthread" : "sync";
  const int threads = int(std::max<int64_t>(1, config.integer("threads")));
  if (o.worker_class == "sync" && threads > 1) o.worker_class = "gthread";
  o.timeout_seconds = int(config.integer("timeout"));
  o.graceful_timeout_seconds = int(config.integer("graceful_timeout"));
  o.max_requests = config.integer("max_requests");
  o.max_requests_jitter = config.integer("max_requests_jitter");
  o.reload_rolling = int(config.integer("reload_rolling"));
  if (!config.is_none("pidfile")) o.pidfile = config.string("pidfile");
  o.proc_name = config.process_name();
  o.uid = config.integer("user");
  o.gid = config.integer("group");
  o.initgroups = config.boolean("initgroups");
  o.daemonized = config.boolean("daemon");
  o.backlog_metric = config.boolean("enable_backlog_metric");
  if (!config.is_none("metrics_bind")) {
    o.metrics_bind = config.string("metrics_bind");
    if (auto parsed = sys::parse_bind_address(o.metrics_bind); !parsed) {
      return Result<ArbiterOptions>::error("metrics_bind: " + parsed.message());
    }
  }
  // Unix sockets belong to the workers' user, as gunicorn chowns them.
  o.listen.uid = o.uid;
  o.listen.gid = o.gid;

  worker::WorkerOptions& w = o.worker;
  w.timeout_seconds = o.timeout_seconds;
  w.graceful_timeout_seconds = o.graceful_timeout_seconds;
  w.sendfile = config.sendfile_enabled();
  w.kind = o.worker_class;
  w.threads = threads;
  w.worker_connections = int(config.integer("worker_connections"));
  w.keepalive_seconds = int(config.integer("keepalive"));
  w.header_timeout_seconds = int(config.integer("header_timeout"));
  w.reload = config.boolean("reload");
  w.reload_engine = config.string("reload_engine");
  w.reload_extra_files = config.list("reload_extra_files");
  http::ParserOptions& p = w.parser;
  p.normalize_limits(config.integer("limit_request_line"), config.integer("limit_request_fields"),
                     config.integer("limit_request_field_size"));
  p.permit_unconventional_http_method = config.boolean("permit_unconventional_http_method");
  p.permit_unconventional_http_version = config.boolean("permit_unconventional_http_version");
  p.casefold_http_method = config.boolean("casefold_http_method");
  p.permit_obsolete_folding = config.boolean("permit_obsolete_folding");
  p.strip_header_spaces = config.boolean("strip_header_spaces");
  if (!http::parse_header_map_policy(config.string("header_map"), &p.header_map)) {
    return Result<ArbiterOptions>::error("Invalid value for header_map: '" + config.string("header_map") + "'");
  }
  if (!http::parse_proxy_protocol_mode(config.string("proxy_protocol"), &p.proxy_protocol)) {
    return Result<ArbiterOptions>::error("Invalid value for proxy_protocol: '" +
                                         config.string("proxy_protocol") + "'");
  }
  p.forwarder_headers.clear();
  for (const std::string& name : config.list("forwarder_headers")) {
    std::string upper = to_upper(trim(name));
    if (!upper.empty()) p.forwarder_headers.push_back(upper);
  }
  p.secure_scheme_headers.clear();
  for (const auto& [name, value] : config.map("secure_scheme_headers")) {
    p.secure_scheme_headers.push_back({to_upper(name), value});
  }
  auto forwarded = sys::IpAllowList::parse(config.list("forwarded_allow_ips"));
  if (!forwarded) return Result<ArbiterOptions>::error("Invalid forwarded_allow_ips: " + forwarded.message());
  w.forwarded_allow = *forwarded;
  auto proxy = sys::IpAllowList::parse(config.list("proxy_allow_ips"));
  if (!proxy) return Result<ArbiterOptions>::error("Invalid proxy_allow_ips: " + proxy.message());
  w.proxy_allow = *proxy;
  // TLS when certfile or keyfile is set (gunicorn's is_ssl). The context is
  // built here, once (by the ssl_context hook when it is set), so a
  // certificate or key that cannot serve stops the start-up (and a HUP),
  // instead of every worker failing on it.
  if (!config.string("certfile").empty() || !config.string("keyfile").empty()) {
    auto tls = make_tls_context(
        config, {config.string("certfile"), config.string("keyfile"), config.string("ca_certs"),
                 int(config.integer("cert_reqs")), config.string("ciphers"),
                 config.boolean("suppress_ragged_eofs")});
    if (!tls) return Result<ArbiterOptions>::error(tls.message());
    w.tls = *tls;
  }
  return o;
}

}  // namespace qilin::arbiter
