// The Prometheus text: cumulative buckets that add up, every series present
// from the start, seconds from microseconds.
#include "log/prometheus.h"

#include <gtest/gtest.h>

#include "sys/metrics_table.h"

namespace qilin::log {
namespace {

TEST(Prometheus, SumsSlotsAndRendersCumulativeBuckets) {
  sys::MetricsTable table(8);
  ASSERT_TRUE(table.valid());
  table.worker_started(0);
  table.worker_started(3);
  table.slot(0).responses[2] += 3;
  table.slot(3).responses[5] += 1;
  table.slot(3).in_flight += 2;
  table.slot(0).app.observe(800);      // le 0.001
  table.slot(3).app.observe(30000);    // le 0.05
  table.slot(3).app.observe(20000000);  // +Inf
  table.slot(5).responses[2] += 100;  // never started: not read
  const sys::MetricsTotals totals = table.totals();
  EXPECT_EQ(totals.responses[2], 3u);
  EXPECT_EQ(totals.in_flight, 2);

  MasterMetrics master;
  master.live_workers = 2;
  master.desired_workers = 2;
  master.restarts[size_t(RestartCause::kTimeout)] = 1;
  master.backlog = 0;
  const std::string text = render_prometheus(totals, master);
  EXPECT_NE(text.find("# TYPE qilin_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("qilin_requests_total{status=\"2xx\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("qilin_requests_total{status=\"5xx\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("qilin_requests_total{status=\"4xx\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("qilin_request_duration_seconds_bucket{phase=\"app\",le=\"0.001\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("qilin_request_duration_seconds_bucket{phase=\"app\",le=\"0.0025\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("qilin_request_duration_seconds_bucket{phase=\"app\",le=\"0.05\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("qilin_request_duration_seconds_bucket{phase=\"app\",le=\"10\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("qilin_request_duration_seconds_bucket{phase=\"app\",le=\"+Inf\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("qilin_request_duration_seconds_sum{phase=\"app\"} 20.030800\n"), std::string::npos);
  EXPECT_NE(text.find("qilin_request_duration_seconds_count{phase=\"queue\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("qilin_requests_in_flight 2\n"), std::string::npos);
  EXPECT_NE(text.find("qilin_worker_restarts_total{cause=\"timeout\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("qilin_worker_restarts_total{cause=\"reload\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("qilin_listen_backlog 0\n"), std::string::npos);

  table.worker_gone(3);
  EXPECT_EQ(table.totals().in_flight, 0);
  master.backlog = -1;
  EXPECT_EQ(render_prometheus(table.totals(), master).find("qilin_listen_backlog"), std::string::npos);
}

}  // namespace
}  // namespace qilin::log
