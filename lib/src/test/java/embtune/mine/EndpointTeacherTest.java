package embtune.mine;

import static org.junit.jupiter.api.Assertions.*;

import embtune.Fixtures;
import embtune.data.Dataset;
import embtune.data.Record;
import embtune.model.Embedder;
import embtune.ModelError;
import embtune.serve.EmbeddingServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A teacher behind an OpenAI-compatible endpoint: embtune's own server on the loopback, and scripted failures. */
class EndpointTeacherTest {
    static final Duration FAST = Duration.ofMillis(1);

    @Test
    void miningThroughServeGivesWhatTheModelGivesInProcess() {
        List<String> queries = new ArrayList<>(), positives = new ArrayList<>();
        for (Record r : Dataset.load("../datasets/stsb-infonce-train.jsonl").records().subList(0, 60)) {
            queries.add(r.anchor());
            positives.add(r.positive());
        }
        List<String> corpus = Corpus.read(java.nio.file.Path.of("../datasets/stsb-retrieval-test")).subList(0, 40);
        NegativeRules rules = NegativeRules.defaults().numNegatives(2).relativeMargin(0.02);
        try (Embedder model = Embedder.load(Fixtures.dir("tiny-bert"));
             EmbeddingServer server = EmbeddingServer.start(model, EmbeddingServer.Options.defaults().port(0).apiKey("sk-test"))) {
            Mined local = Miner.with(model).corpus(corpus).rules(rules).mine(queries, positives);
            // small batches, three in flight: many requests, answered out of order
            EndpointTeacher teacher = EndpointTeacher.at(server.address() + "/v1", null).apiKey("sk-test").servedModel()
                    .batchSize(7).concurrency(3);
            assertTrue(teacher.name().startsWith("tiny-bert at "), teacher.name());
            Mined remote = Miner.with(teacher).corpus(corpus).rules(rules).mine(queries, positives);
            assertEquals(local.queries(), remote.queries());
            for (int q = 0; q < local.queries().size(); q++) {
                assertArrayEquals(local.negatives(q).ids(), remote.negatives(q).ids(), "query " + q);
                assertArrayEquals(local.negatives(q).scores(), remote.negatives(q).scores(), 1e-5f);
                assertArrayEquals(local.positiveScores(q), remote.positiveScores(q), 1e-5f);
            }
            // a wrong key is the server's own message, at once
            ModelError e = assertThrows(ModelError.class, () -> EndpointTeacher.at(server.address() + "/v1", "tiny-bert").apiKey("wrong")
                    .embed(List.of("a text")));
            assertTrue(e.getMessage().contains("HTTP 401"), e.getMessage());
        }
    }

    @Test
    void busyAndFailingServersAreRetriedWithBackoff() throws Exception {
        try (FakeEndpoint f = new FakeEndpoint((n, body) -> switch (n) {
            case 0 -> new FakeEndpoint.Answer(503, null, "{\"error\":{\"message\":\"warming up\"}}");
            case 1 -> new FakeEndpoint.Answer(429, "0", "{\"error\":{\"message\":\"slow down\"}}");
            case 2 -> new FakeEndpoint.Answer(502, null, "<html>bad gateway</html>");
            default -> FakeEndpoint.Answer.ok(FakeEndpoint.vectors(body, 3));
        })) {
            float[][] v = EndpointTeacher.at(f.base(), "m").retries(5, FAST).embed(List.of("a", "b"));
            assertEquals(4, f.requests.get());
            assertArrayEquals(new float[] {2, 1, 1}, v[1]);
        }
        try (FakeEndpoint f = new FakeEndpoint((n, body) -> new FakeEndpoint.Answer(500, null, "{\"error\":{\"message\":\"out of memory\"}}"))) {
            ModelError e = assertThrows(ModelError.class, () -> EndpointTeacher.at(f.base(), "m").retries(2, FAST).embed(List.of("a")));
            assertEquals(3, f.requests.get());
            assertTrue(e.getMessage().contains("HTTP 500: out of memory (gave up after 3 tries)"), e.getMessage());
        }
    }

    @Test
    void answersOfTheWrongShapeAreErrors() throws Exception {
        // the second batch answers 4-d vectors after 3-d ones
        try (FakeEndpoint f = new FakeEndpoint((n, body) -> FakeEndpoint.Answer.ok(FakeEndpoint.vectors(body, body.get("input").get(0).asText().equals("c") ? 4 : 3)))) {
            ModelError e = assertThrows(ModelError.class, () -> EndpointTeacher.at(f.base(), "m").batchSize(2).concurrency(1)
                    .embed(List.of("a", "b", "c")));
            assertTrue(e.getMessage().contains("inputs 2..2): answered 4-d vectors, earlier answers were 3-d"), e.getMessage());
            e = assertThrows(ModelError.class, () -> EndpointTeacher.at(f.base(), "m").dimensions(8).embed(List.of("a")));
            assertTrue(e.getMessage().contains("answered 3-d vectors, but --dimensions asked for 8"), e.getMessage());
        }
        try (FakeEndpoint f = new FakeEndpoint((n, body) -> FakeEndpoint.Answer.ok("{\"data\":[]}"))) {
            ModelError e = assertThrows(ModelError.class, () -> EndpointTeacher.at(f.base(), "m").embed(List.of("a", "b")));
            assertTrue(e.getMessage().contains("expected 2 embeddings in 'data', got 0"), e.getMessage());
        }
        try (FakeEndpoint f = new FakeEndpoint((n, body) -> new FakeEndpoint.Answer(404, null, "{\"error\":{\"message\":\"model 'm' not found\"}}"))) {
            ModelError e = assertThrows(ModelError.class, () -> EndpointTeacher.at(f.base(), "m").embed(List.of("a")));
            assertEquals(1, f.requests.get(), "a 4xx is not retried");
            assertTrue(e.getMessage().contains("HTTP 404: model 'm' not found"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> EndpointTeacher.at("ftp://host/v1", "m"));
    }
}
