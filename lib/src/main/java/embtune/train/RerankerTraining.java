package embtune.train;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import embtune.data.Dataset;
import embtune.data.Record;
import embtune.eval.RerankMetrics;
import embtune.lora.LoraConfig;
import embtune.loss.RerankerLoss;
import embtune.loss.RerankerLossType;
import embtune.loss.RerankerOptions;
import embtune.rerank.RerankInputs;
import embtune.rerank.Reranker;
import embtune.rerank.RerankerAdapter;
import embtune.rerank.RerankerSaver;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * ms-swift's {@code swift sft --task_type reranker | generative_reranker}: rows are a query, its
 * positive ({@code response}) and its negatives ({@code rejected_response}). Each row becomes one
 * group {@code [positive, negatives...]} with at most MAX_NEGATIVE_SAMPLES negatives drawn without
 * replacement (all of them when there are fewer); a batch is per_device_train_batch_size groups
 * laid end to end, labels {@code 1, 0, 0, ...}, as ms-swift's collator lays them out. (The
 * one-positive rows embtune reads give one group each; MAX_POSITIVE_SAMPLES matters only for rows
 * with several positives.) MRR@10 and NDCG@10 on the validation groups (every negative, no
 * sampling) are measured before the first step and after the last, and the model is saved as a
 * transformers folder (full) or a peft adapter with its classifier (LoRA). The run folder gets the
 * embedding runs' logging.jsonl, args.json and report.html (loss curve, before/after table).
 */
public final class RerankerTraining {
    /** What a run did: its checkpoint, the validation metrics before and after, the loss per step. */
    public record Result(Path checkpoint, Map<String, Double> before, Map<String, Double> after, List<Double> losses) {
        @Override
        public String toString() {
            String metrics = before.isEmpty() ? "" : String.format(java.util.Locale.ROOT, ", mrr@10 %.4f -> %.4f, ndcg@10 %.4f -> %.4f",
                    before.get("mrr@10"), after.get("mrr@10"), before.get("ndcg@10"), after.get("ndcg@10"));
            return String.format(java.util.Locale.ROOT, "reranker trained %d steps, loss %.4f -> %.4f%s; saved %s", losses.size(),
                    losses.get(0), losses.get(losses.size() - 1), metrics, checkpoint);
        }
    }

    /** A query group: its query, the documents with the positive first, and their labels. */
    record Group(String query, List<String> documents) {}

    private RerankerTraining() {}

    /** The group of one row: the positive, then up to {@code maxNegatives} of its negatives drawn without replacement. */
    static Group group(Record r, int maxNegatives, Random random) {
        List<String> negatives = new ArrayList<>(r.negatives());
        if (negatives.size() > maxNegatives) {
            Collections.shuffle(negatives, random);
            negatives = negatives.subList(0, maxNegatives);
        }
        List<String> docs = new ArrayList<>();
        docs.add(r.positive());
        docs.addAll(negatives);
        return new Group(r.anchor(), docs);
    }

    public static Result fit(Reranker model, TrainConfig config, Dataset train, Dataset val, PrintStream log) {
        RerankerOptions options = RerankerOptions.fromEnvironment();
        String lossName = config.lossType().equals("auto") ? "pointwise_reranker" : config.lossType();
        RerankerLoss loss = RerankerLossType.parse(lossName).create(options);
        for (int i = 0; i < train.size(); i++)
            if (train.get(i).negatives().isEmpty())
                throw new ConfigError("dataset", train.name(), "row " + (i + 1) + " has no rejected_response; a reranker trains on a query "
                        + "with its positive (response) and negatives (rejected_response)");
        LoraConfig lora = config.lora() ? config.loraConfig() : null;
        long seed = ((Number) config.get("seed")).longValue();
        if (lora != null) RerankerAdapter.apply(model, lora, seed);
        Map<String, Parameter> trainable = lora != null ? RerankerAdapter.trainable(model) : model.parameters();
        int batch = (int) config.get("per_device_train_batch_size");
        int perEpoch = (train.size() + batch - 1) / batch;
        int maxSteps = (int) config.get("max_steps");
        int total = maxSteps > 0 ? maxSteps : (int) Math.ceil(((Number) config.get("num_train_epochs")).doubleValue() * perEpoch);
        int warmup = (int) config.get("warmup_steps") > 0 ? (int) config.get("warmup_steps")
                : (int) Math.ceil(((Number) config.get("warmup_ratio")).doubleValue() * total);
        LrSchedule lr = new LrSchedule((String) config.get("lr_scheduler_type"), config.learningRate(), warmup, total);
        AdamW adam = new AdamW(trainable, model.manager(), ((Number) config.get("adam_beta1")).doubleValue(),
                ((Number) config.get("adam_beta2")).doubleValue(), ((Number) config.get("adam_epsilon")).doubleValue(),
                ((Number) config.get("weight_decay")).doubleValue());
        RerankerTrainStep step = new RerankerTrainStep(model, loss, trainable, adam, ((Number) config.get("max_grad_norm")).doubleValue());
        log.println("reranker " + model + ", " + lossName + (lora != null ? ", " + lora : ", full") + ", " + total + " steps of " + batch
                + " groups (MAX_NEGATIVE_SAMPLES " + options.maxNegatives() + ")");
        RunFolder folder = RunFolder.create(Path.of((String) config.get("output_dir")));
        folder.writeArgs(config);
        Map<String, Double> before, after;
        List<Double> losses = new ArrayList<>();
        Path checkpoint = folder.checkpoint(total);
        try {
            before = val == null ? Map.of() : evaluate(model, val);
            if (!before.isEmpty()) {
                log.println("before: " + before);
                folder.log(evalEvent(0, before, evalLoss(model, val, loss)));
            }
            Random random = new Random(seed);
            List<Integer> order = new ArrayList<>();
            int logEvery = (int) config.get("logging_steps");
            try (NDManager out = NDManager.newBaseManager()) {
                for (int s = 0; s < total; s++) {
                    if (order.isEmpty()) {
                        for (int i = 0; i < train.size(); i++) order.add(i);
                        Collections.shuffle(order, random);
                    }
                    List<Group> groups = new ArrayList<>();
                    for (int k = 0; k < batch && !order.isEmpty(); k++) groups.add(group(train.get(order.remove(0)), options.maxNegatives(), random));
                    Rows rows = Rows.of(groups);
                    TrainStep.Result r = step.run(model.inputs().encode(rows.queries(), rows.documents()), rows.labels(), lr.at(s), out);
                    losses.add((double) r.loss().getFloat());
                    Map<String, Object> event = new LinkedHashMap<>();
                    event.put("step", s + 1);
                    event.put("epoch", (double) (s + 1) / perEpoch);
                    event.put("loss", losses.get(s));
                    event.put("learning_rate", lr.at(s));
                    event.put("grad_norm", (double) r.gradNorm().getFloat());
                    folder.log(event);
                    if ((s + 1) % logEvery == 0 || s + 1 == total)
                        log.printf(java.util.Locale.ROOT, "step %d/%d loss %.4f grad_norm %.4f lr %.3g%n", s + 1, total, losses.get(s),
                                r.gradNorm().getFloat(), lr.at(s));
                    r.loss().close();
                    r.gradNorm().close();
                }
            }
            after = val == null ? Map.of() : evaluate(model, val);
            if (!after.isEmpty()) {
                log.println("after: " + after);
                folder.log(evalEvent(total, after, evalLoss(model, val, loss)));
            }
            if (lora != null) RerankerAdapter.write(model, lora, model.dir().toAbsolutePath().toString(), checkpoint);
            else RerankerSaver.save(model, checkpoint, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            folder.close();
        }
        embtune.report.Report.write(folder.dir(), null);
        return new Result(checkpoint, before, after, losses);
    }

    private static Map<String, Object> evalEvent(int step, Map<String, Double> metrics, double loss) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("step", step);
        e.put("eval_loss", loss);
        metrics.forEach((k, v) -> e.put("eval_" + k, v));
        return e;
    }

    /** The training loss over the validation groups (every negative), as the report's eval_loss. */
    static double evalLoss(Reranker model, Dataset val, RerankerLoss loss) {
        Rows rows = Rows.of(val);
        try (NDManager m = NDManager.newBaseManager()) {
            return loss.compute(m.create(model.logits(rows.queries(), rows.documents())), rows.labels()).getFloat();
        }
    }

    /** MRR@10 and NDCG@10 over the validation rows, each a group of its positive and all its negatives. */
    public static Map<String, Double> evaluate(Reranker model, Dataset val) {
        Rows rows = Rows.of(val);
        return new LinkedHashMap<>(RerankMetrics.compute(model.logits(rows.queries(), rows.documents()), rows.labels()));
    }

    /** Groups laid end to end, as ms-swift's collator lays them: one (query, document) pair per row, labels 1, 0, 0, ... */
    record Rows(List<String> queries, List<String> documents, float[] labels) {
        /** The validation rows, each a group of its positive and all its negatives. */
        static Rows of(Dataset val) {
            return of(val.records().stream().map(r -> group(r, Integer.MAX_VALUE, null)).toList());
        }

        static Rows of(List<Group> groups) {
            List<String> queries = new ArrayList<>(), docs = new ArrayList<>();
            List<Float> labels = new ArrayList<>();
            for (Group g : groups) {
                for (int d = 0; d < g.documents().size(); d++) {
                    queries.add(g.query());
                    docs.add(g.documents().get(d));
                    labels.add(d == 0 ? 1f : 0f);
                }
            }
            float[] y = new float[labels.size()];
            for (int i = 0; i < y.length; i++) y[i] = labels.get(i);
            return new Rows(queries, docs, y);
        }
    }
}
