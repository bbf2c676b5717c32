package embtune.cli;

import embtune.data.Bundled;
import embtune.data.DataKind;
import embtune.data.Dataset;
import embtune.eval.Evaluator;
import embtune.eval.RetrievalData;
import embtune.loss.InfoNceOptions;
import embtune.model.Embedder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tech.tablesaw.api.Table;

/**
 * {@code eval --model BASE --model TUNED --dataset test.jsonl}: one column per model, one row per
 * metric. Pairs get the 8 correlations (+ threshold metrics for 0/1 labels), positives-only or
 * hard-negative data the InfoNCE metrics, a BEIR folder (queries/corpus/qrels) the retrieval ones.
 */
public final class EvalCommand {
    private EvalCommand() {}

    static Cli cli() {
        return new Cli("eval", "evaluate one or more models side by side")
                .option("hub", null, "where hub ids come from: huggingface or modelscope (default huggingface; modelscope when USE_HF=0)")
                .option("model", null, "model folder; repeat (or comma-separate) to compare; default: the bundled all-MiniLM-L6-v2")
                .option("adapters", null, "LoRA adapter for the (single) model")
                .option("dataset", null, "evaluation data (path[:subset][#N]) or a BEIR folder; default: datasets/stsb-test.jsonl")
                .option("retrieval", null, "also evaluate retrieval on this BEIR folder (queries.jsonl, corpus.jsonl, qrels.tsv)")
                .option("reranker", null, "with --retrieval (or a BEIR --dataset): rerank each query's top documents with this reranker too")
                .option("rerank_top_k", "50", "how many of the embedder's best documents the reranker reorders")
                .option("metric", "auto", "auto, paired or infonce")
                .option("batch_size", "32", "texts per forward pass")
                .option("device", "auto", "auto, cpu, gpu or gpu:N")
                .option("precision", "fp32", "fp32 (default), bf16 (products in bfloat16, the rest float32; CPUs with avx512_bf16 or amx), fp16 or tf32")
                .option("infer_backend", "pt", ModelArgs.INFER_BACKEND_HELP)
                .option("output", null, "also write the table as CSV here");
    }

    public static void main(String[] argv) {
        cli().run(argv, a -> System.out.println(run(a).printAll()));
    }

    static Table run(Cli.Args a) throws Exception {
        List<String> models = a.all("model");
        if (models.isEmpty()) models = List.of(embtune.hub.DefaultModel.path().toString());
        String spec = a.has("dataset") ? a.get("dataset") : Bundled.find("stsb-test.jsonl").toString();
        Map<String, Map<String, Double>> byModel = new LinkedHashMap<>();
        Path beir = RetrievalData.isRetrievalFolder(Path.of(spec)) ? Path.of(spec) : a.has("retrieval") ? Path.of(a.get("retrieval")) : null;
        if (a.has("reranker") && beir == null) throw new Cli.UsageError("--reranker needs --retrieval DIR (or a BEIR folder as --dataset)");
        ModelArgs.inferBackend(a);
        int topK = a.integer("rerank_top_k");
        if (topK < 1) throw new Cli.UsageError("--rerank_top_k must be >= 1, got " + topK);
        embtune.rerank.Reranker reranker = a.has("reranker") ? RerankCommand.load(a.get("reranker"),
                embtune.rerank.Reranker.Options.defaults().device(a.get("device")).batchSize(a.integer("batch_size")), Cli.hub(a)) : null;
        try {
            for (String m : models) {
                var opts = Embedder.Options.defaults().device(a.get("device")).batchSize(a.integer("batch_size"));
                try (Embedder e = ModelArgs.load(m, a.get("adapters"), opts, Cli.hub(a))) {
                    ModelArgs.forInference(a, e);
                    ModelArgs.inferBackend(a, e, "eval", Runtime.getRuntime().availableProcessors());
                    Map<String, Double> metrics = new LinkedHashMap<>();
                    Path asDir = Path.of(spec);
                    if (RetrievalData.isRetrievalFolder(asDir)) metrics.putAll(RetrievalData.load(asDir).evaluate(e));
                    else metrics.putAll(evaluate(e, Dataset.load(spec, embtune.data.LoadOptions.defaults().hub(Cli.hub(a))), a.get("metric")));
                    if (a.has("retrieval")) metrics.putAll(RetrievalData.load(Path.of(a.get("retrieval"))).evaluate(e));
                    if (reranker != null)
                        RetrievalData.load(beir).evaluate(e, reranker, topK).forEach((k, v) -> metrics.put("reranked " + k, v));
                    byModel.put(label(m, byModel), metrics);
                }
            }
        } finally {
            if (reranker != null) reranker.close();
        }
        Table t = embtune.eval.Tables.metrics(spec, byModel);
        if (a.has("output")) t.write().csv(a.get("output"));
        return t;
    }

    static Map<String, Double> evaluate(Embedder e, Dataset data, String metric) {
        boolean infonce = switch (metric) {
            case "infonce" -> true;
            case "paired" -> false;
            case "auto" -> data.kind() == DataKind.POSITIVES_ONLY || data.kind() == DataKind.HARD_NEGATIVES;
            default -> throw new Cli.UsageError("--metric must be auto, paired or infonce");
        };
        return Evaluator.evaluate(e::embed, data, infonce, InfoNceOptions.fromEnvironment());
    }

    /** A short column name: the folder name, made unique. */
    private static String label(String model, Map<String, ?> taken) {
        Path p = Path.of(model).toAbsolutePath().normalize();
        String name = p.getFileName().toString();
        if (name.startsWith("checkpoint-") && p.getParent() != null) name = p.getParent().getFileName() + "/" + name;
        String out = name;
        for (int i = 2; taken.containsKey(out); i++) out = name + " (" + i + ")";
        return out;
    }

    /** Metrics as rows, models as columns. */
}
