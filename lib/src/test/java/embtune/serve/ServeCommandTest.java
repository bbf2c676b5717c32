package embtune.serve;

import static org.junit.jupiter.api.Assertions.*;

import embtune.Fixtures;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** serve as a process: it prints where it listens, answers, and on SIGTERM answers what it took before exiting. */
@Tag("subprocess")
class ServeCommandTest {
    @org.junit.jupiter.api.Tag("slow")
    @Test
    void sigtermAnswersTheRequestsUnderWayThenExits() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"), "embtune.cli.ServeCommand",
                "--model", Fixtures.dir("tiny-bert").toString(), "--port", "0", "--max_wait_ms", "3000").redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
        String address = null;
        StringBuilder seen = new StringBuilder();
        for (String line; address == null && (line = out.readLine()) != null; ) {
            seen.append(line).append('\n');
            Matcher m = Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+)/v1").matcher(line);
            if (m.find()) address = m.group(1);
        }
        assertNotNull(address, "the address is printed once ready:\n" + seen);
        HttpClient http = HttpClient.newHttpClient();
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (int i = 0; i < 8; i++)
            pending.add(http.sendAsync(HttpRequest.newBuilder(URI.create(address + "/v1/embeddings"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"input\": \"text " + i + "\"}")).build(), HttpResponse.BodyHandlers.ofString()));
        Thread.sleep(1000); // the requests are in (a request arriving after SIGTERM gets 503), queued, waiting out max_wait_ms
        new ProcessBuilder("kill", "-TERM", String.valueOf(p.pid())).start().waitFor();
        for (var f : pending) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), "a request taken before SIGTERM is answered: " + r.body());
            assertTrue(r.body().contains("\"embedding\""), r.body());
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "exits after SIGTERM");
        out.lines().forEach(l -> seen.append(l).append('\n'));
        assertTrue(seen.toString().contains("stopping; answering the queued requests first"), seen.toString());
    }

    /** Issue 34: SIGTERM with stalled clients used to wait 60 s; it exits within --drain_timeout. */
    @org.junit.jupiter.api.Tag("slow")
    @Test
    void sigtermWithStalledClientsExitsWithinTheDrainTimeout() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"), "embtune.cli.ServeCommand",
                "--model", Fixtures.dir("tiny-bert").toString(), "--port", "0", "--drain_timeout", "2", "--header_timeout", "60")
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
        Matcher m = null;
        for (String line; (line = out.readLine()) != null; ) {
            m = Pattern.compile("at http://127\\.0\\.0\\.1:(\\d+)/v1").matcher(line);
            if (m.find()) break;
        }
        assertNotNull(m, "the address is printed once ready");
        List<java.net.Socket> stalled = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            java.net.Socket s = new java.net.Socket("127.0.0.1", Integer.parseInt(m.group(1)));
            // half of them inside a request's body (a Content-Length larger than what comes), half silent
            if (i % 2 == 0) s.getOutputStream().write("POST /v1/embeddings HTTP/1.1\r\nContent-Length: 50\r\n\r\n{".getBytes());
            stalled.add(s);
        }
        Thread.sleep(300);
        long start = System.nanoTime();
        new ProcessBuilder("kill", "-TERM", String.valueOf(p.pid())).start().waitFor();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exits after SIGTERM");
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds < 2 + 2, "exited " + seconds + " s after SIGTERM (drain timeout 2 s; JVM exit within 2 s more)");
        for (java.net.Socket s : stalled) s.close();
    }
}
