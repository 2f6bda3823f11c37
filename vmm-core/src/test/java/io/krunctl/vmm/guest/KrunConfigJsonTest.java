package io.krunctl.vmm.guest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.krunctl.vmm.config.ProcessConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KrunConfigJsonTest {

    @Test
    void encodesTheOciProcessFormWithEnvInOrderAndAnyBytes() throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("B", "two words");
        env.put("A", "quote\" and = sign");
        ProcessConfig p = new ProcessConfig(List.of("/bin/sh", "-c", "echo \"$A\""), env, "/work dir");

        JsonNode json = new ObjectMapper().readTree(KrunConfigJson.encode(p));

        assertThat(json.at("/process/args").toString()).isEqualTo("[\"/bin/sh\",\"-c\",\"echo \\\"$A\\\"\"]");
        assertThat(json.at("/process/env/0").asText()).isEqualTo("B=two words");
        assertThat(json.at("/process/env/1").asText()).isEqualTo("A=quote\" and = sign");
        assertThat(json.at("/process/cwd").asText()).isEqualTo("/work dir");
    }
}
