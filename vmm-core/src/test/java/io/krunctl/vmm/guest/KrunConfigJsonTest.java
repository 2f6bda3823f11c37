package io.krunctl.vmm.guest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.krunctl.virtiofs.fs.CachePolicy;
import io.krunctl.vmm.config.MountConfig;
import io.krunctl.vmm.config.ProcessConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
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

    @Test
    void aUserTravelsInTheOciShapeAndRootNeedsNone() throws Exception {
        ProcessConfig asRoot = new ProcessConfig(List.of("/bin/id"), Map.of(), "/");
        ProcessConfig asUser = new ProcessConfig(List.of("/bin/id"), Map.of(), "/", List.of(),
                Optional.of(new ProcessConfig.User(1000, 100, List.of(10L, 4294967294L), OptionalInt.of(027))));

        assertThat(new ObjectMapper().readTree(KrunConfigJson.encode(asRoot)).at("/process").has("user")).isFalse();
        assertThat(new ObjectMapper().readTree(KrunConfigJson.encode(asUser)).at("/process/user").toString())
                .isEqualTo("{\"uid\":1000,\"gid\":100,\"additionalGids\":[10,4294967294],\"umask\":23}");
    }

    @Test
    void mountsGoUnderKrunctlsOwnKeyInOrderWithTagsCountingVirtioFsMountsOnly() throws Exception {
        ProcessConfig p = new ProcessConfig(List.of("/bin/true"), Map.of(), "/");
        List<MountConfig> mounts = List.of(
                new MountConfig.Tmpfs("/tmp", OptionalLong.empty()),
                new MountConfig.VirtioFs(Path.of("/srv/data"), "/data", true, CachePolicy.AUTO),
                new MountConfig.Tmpfs("/run", OptionalLong.of(64L << 20)),
                new MountConfig.VirtioFs(Path.of("/srv/out"), "/data/out", false, CachePolicy.NEVER));

        JsonNode json = new ObjectMapper().readTree(KrunConfigJson.encode(p, mounts));

        assertThat(json.get("krunctl_mounts").toString()).isEqualTo("["
                + "{\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"destination\":\"/tmp\"},"
                + "{\"type\":\"virtiofs\",\"source\":\"krunctl-mnt0\",\"destination\":\"/data\",\"options\":\"ro\"},"
                + "{\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"destination\":\"/run\",\"options\":\"size=67108864\"},"
                + "{\"type\":\"virtiofs\",\"source\":\"krunctl-mnt1\",\"destination\":\"/data/out\"}]");
        assertThat(json.has("mounts")).as("libkrun's own key stays for OCI configs").isFalse();
    }

    @Test
    void noMountsNoKey() throws Exception {
        ProcessConfig p = new ProcessConfig(List.of("/bin/true"), Map.of(), "/");
        assertThat(new ObjectMapper().readTree(KrunConfigJson.encode(p, List.of())).has("krunctl_mounts")).isFalse();
    }

    @Test
    void aReadOnlyRootIsAskedForOnlyWhenWanted() throws Exception {
        ProcessConfig p = new ProcessConfig(List.of("/bin/true"), Map.of(), "/");
        ObjectMapper json = new ObjectMapper();
        assertThat(json.readTree(KrunConfigJson.encode(p, List.of(), true)).get("krunctl_root_read_only").asBoolean())
                .isTrue();
        assertThat(json.readTree(KrunConfigJson.encode(p, List.of(), false)).has("krunctl_root_read_only")).isFalse();
    }
}
