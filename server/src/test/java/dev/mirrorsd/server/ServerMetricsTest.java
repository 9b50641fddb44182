package dev.mirrorsd.server;

import dev.mirrorsd.pipeline.FinishReason;
import dev.mirrorsd.pipeline.GenerationStats;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The metrics page carries vLLM's names, so that vLLM's dashboards read it. */
class ServerMetricsTest {

    @Test
    void shouldExposeVllmsSpeculativeAndLatencyMetrics() {
        ServerMetrics metrics = new ServerMetrics("m", () -> 7);
        // 3 rounds (the prefill and two verifications), 8 drafted, 5 accepted: positions 0,0,1,1,2
        GenerationStats stats = new GenerationStats(10, 8, 3, 8, 5, new long[] {2, 2, 1, 0}, 1_000_000,
                2_000_000, 50_000_000, null);
        metrics.finished(stats, FinishReason.LENGTH, 2_000_000, 50_000_000);
        metrics.interToken(3_000_000);
        metrics.refused(429);
        String page = metrics.scrape();
        for (String line : List.of(
                "vllm:spec_decode_num_drafts_total{model_name=\"m\"} 2.0",
                "vllm:spec_decode_num_draft_tokens_total{model_name=\"m\"} 8.0",
                "vllm:spec_decode_num_accepted_tokens_total{model_name=\"m\"} 5.0",
                "vllm:spec_decode_num_accepted_tokens_per_pos_total{model_name=\"m\",position=\"0\"} 2.0",
                "vllm:spec_decode_num_accepted_tokens_per_pos_total{model_name=\"m\",position=\"2\"} 1.0",
                "vllm:prompt_tokens_total{model_name=\"m\"} 10.0",
                "vllm:generation_tokens_total{model_name=\"m\"} 8.0",
                "vllm:request_success_total{finished_reason=\"length\",model_name=\"m\"} 1.0",
                "vllm:time_to_first_token_seconds_count{model_name=\"m\"} 1",
                "vllm:time_to_first_token_seconds_bucket{model_name=\"m\",le=\"0.005\"} 1",
                "vllm:inter_token_latency_seconds_count{model_name=\"m\"} 1",
                "vllm:request_time_per_output_token_seconds_count{model_name=\"m\"} 1",
                "vllm:e2e_request_latency_seconds_count{model_name=\"m\"} 1",
                "mirror_sd:requests_refused_total{model_name=\"m\",status=\"429\"} 1.0",
                "mirror_sd:native_arrays_live{model_name=\"m\"} 7.0")) {
            assertTrue(page.contains(line), () -> "missing '" + line + "' in\n" + page);
        }
    }
}
