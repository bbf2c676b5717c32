package embtune.cli;

import embtune.data.Dataset;
import embtune.mine.Corpus;
import embtune.mine.EndpointTeacher;
import embtune.mine.LocalTeacher;
import embtune.mine.Mined;
import embtune.mine.Miner;
import embtune.mine.NegativeRules;
import embtune.mine.OutputFormat;
import embtune.mine.Teacher;
import embtune.model.Embedder;
import embtune.rerank.Reranker;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code mine --model M --dataset PAIRS [--corpus FILE] --output OUT.jsonl}: hard negatives for
 * (query, positive) pairs, with sentence-transformers' {@code mine_hard_negatives} settings under
 * their own names. {@code --model} may be an OpenAI-compatible endpoint
 * ({@code http://host:port/v1 --teacher_model NAME}). Every setting is checked before the model
 * loads; OUT is written whole at the end or not at all.
 */
public final class MineCommand {
    private MineCommand() {}

    /** The flags; the Spark miner (spark/) takes the same ones and adds its own. */
    public static Cli cli() {
        return new Cli("mine", "mine hard negatives for (query, positive) pairs, as sentence-transformers' mine_hard_negatives")
                .option("model", null, "model folder, hub id, or an OpenAI-compatible endpoint http://HOST:PORT/v1; default: the bundled all-MiniLM-L6-v2")
                .option("teacher_model", null, "with an endpoint: the model name it serves (default: the one /v1/models lists)")
                .option("api_key", null, "with an endpoint: its key (default: $OPENAI_API_KEY)")
                .option("dimensions", null, "with an endpoint: ask for vectors of this size (Matryoshka models)")
                .option("max_concurrency", "4", "with an endpoint: requests in flight at once")
                .option("adapters", null, "PEFT LoRA adapter folder to apply to --model")
                .option("hub", null, "where hub ids come from: huggingface or modelscope (default huggingface; modelscope when USE_HF=0)")
                .option("dataset", null, "the (query, positive) pairs: any data set embtune reads (path[:subset][#N]); required")
                .option("corpus", null, "more candidate documents: .jsonl with text or response, a BEIR folder, or plain text lines")
                .option("output", null, "where the mined rows go (JSONL); required")
                .option("reranker", null, "reranker folder or hub id: rescores the candidates, and the margins, max_score and min_score apply to its scores "
                        + "(as cross_encoder= does; needs a margin or max_score)")
                .option("range_min", "0", "skip this many of the best candidates (counted after the score filters)")
                .option("range_max", null, "consider at most this many candidates (default: range_min + num_negatives [x10 with a margin or max_score] + positives)")
                .option("max_score", null, "drop candidates scoring above this (likely unlabelled positives)")
                .option("min_score", null, "drop candidates scoring below this")
                .option("absolute_margin", null, "drop candidates with score + margin > the positive's score")
                .option("relative_margin", null, "drop candidates with score > positive - |positive| x margin (0.05: NV-Retriever's TopK-PercPos 95%)")
                .option("num_negatives", "3", "negatives per query")
                .option("sampling_strategy", "top", "top (the best remaining candidates) or random (a sample of them)")
                .flag("include_positives", "keep the positives among the candidates (a full ranking, for reranker evaluation); forces n-tuple")
                .option("query_prompt", null, "text put before each query (default: the model's query prompt, e.g. bge's instruction)")
                .option("corpus_prompt", null, "text put before each document (default: the model's document prompt, if any)")
                .option("output_format", "triplet", "triplet, n-tuple, labeled-pair or labeled-list")
                .flag("output_scores", "add the similarity scores to each row (scores: [positive, negatives...])")
                .option("batch_size", "32", "texts per forward pass (per request, with an endpoint)")
                .option("index", "exact", "exact (blocked search, every candidate) or hnsw (Lucene's HNSW graph, approximate; for millions of documents)")
                .option("recall_sample", "1000", "with --index hnsw: queries on which recall@k is checked against exact search (0: skip)")
                .option("seed", "42", "seeds the random strategy and the HNSW graph")
                .option("device", "auto", "auto, cpu, gpu or gpu:N")
                .option("max_length", null, "tokens per text (default: the model's)")
                .flag("spark", "embed and search on Apache Spark (spark/ module; local[*] unless --master URL); same rows");
    }

    public static void main(String[] argv) {
        if (SparkHandOff.requested(argv)) SparkHandOff.run("scripts/mine_spark.java", argv);
        cli().run(argv, a -> run(a, System.out));
    }

    static void run(Cli.Args a, PrintStream out) {
        run(a, out, MineCommand::teacher, miner -> miner);
    }

    /**
     * The command with the teacher and the search chosen by the caller (the Spark miner embeds and
     * searches on executors); the flags, the checks and the rows written are the same.
     */
    public static void run(Cli.Args a, PrintStream out, java.util.function.BiFunction<Cli.Args, Integer, Teacher> teachers,
                           java.util.function.UnaryOperator<Miner> setup) {
        if (!a.has("dataset")) throw new Cli.UsageError("--dataset is required: the (query, positive) pairs to mine negatives for");
        if (!a.has("output")) throw new Cli.UsageError("--output is required: the JSONL file the mined rows go to");
        Path output = Path.of(a.get("output"));
        if (Files.isDirectory(output)) throw new Cli.UsageError("--output " + output + " is a folder; give a file name (e.g. mined.jsonl)");
        NegativeRules rules = rules(a);
        OutputFormat format = parse("output_format", () -> OutputFormat.parse(a.get("output_format")));
        Miner.Index index = parse("index", () -> Miner.Index.parse(a.get("index")));
        int batch = positive(a, "batch_size");
        if (a.has("reranker") && !rules.thresholded())
            throw new Cli.UsageError("--reranker rescores only when --absolute_margin, --relative_margin or --max_score is set (as sentence-transformers); add one or drop --reranker");
        // the data before the model: a bad file fails in a second, not after a download
        Dataset pairs = Dataset.load(a.get("dataset"));
        List<String> corpus = a.has("corpus") ? Corpus.read(Path.of(a.get("corpus"))) : List.of();
        try (Teacher teacher = teachers.apply(a, batch); Reranker reranker = reranker(a, batch)) {
            Miner miner = setup.apply(Miner.with(teacher)).reranker(reranker).rules(rules).corpus(corpus).queryPrompt(a.get("query_prompt"))
                    .corpusPrompt(a.get("corpus_prompt")).index(index).recallSample(a.integer("recall_sample")).seed(a.integer("seed"));
            Mined mined = miner.mine(pairs);
            Mined.Timing t = mined.timing();
            out.printf("mine: %,d queries, %,d documents; embedded %,.0f documents/s, %,.0f queries/s; searched %,.0f queries/s%n",
                    mined.queries().size(), mined.documents().size(), t.documentsPerSecond, t.queriesEmbeddedPerSecond, t.queriesSearchedPerSecond);
            if (t.recall >= 0)
                out.printf("hnsw: built in %.1f s; recall@%d %.4f against exact search on %,d queries%n", t.indexSeconds, t.recallK, t.recall, t.recallQueries);
            out.print(mined.scoreTable());
            int rows = mined.rows(format).size();
            if (rows == 0) throw new IllegalStateException("no rows to write: no query found a negative; loosen range_max, the margins or max_score");
            mined.write(output, format, a.bool("output_scores"));
            out.printf("wrote %s: %,d rows, %s%s%n", output, rows, rules.includePositives() ? OutputFormat.N_TUPLE : format,
                    a.bool("output_scores") ? " with scores" : "");
        }
    }

    /** sentence-transformers' settings, checked together (range_min against range_max, ...). */
    static NegativeRules rules(Cli.Args a) {
        try {
            return new NegativeRules(a.integer("range_min"), a.has("range_max") ? a.integer("range_max") : null, number(a, "max_score"),
                    number(a, "min_score"), number(a, "absolute_margin"), number(a, "relative_margin"), a.integer("num_negatives"),
                    NegativeRules.Strategy.parse(a.get("sampling_strategy")), a.bool("include_positives")).check();
        } catch (Cli.UsageError e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new Cli.UsageError(e.getMessage());
        }
    }

    private static Double number(Cli.Args a, String flag) {
        if (!a.has(flag)) return null;
        double v = a.number(flag);
        if (!Double.isFinite(v)) throw new Cli.UsageError("--" + flag + " must be a finite number, not " + a.get(flag));
        return v;
    }

    private static <T> T parse(String flag, java.util.function.Supplier<T> f) {
        try {
            return f.get();
        } catch (IllegalArgumentException e) {
            throw new Cli.UsageError("--" + flag + ": " + e.getMessage());
        }
    }

    private static int positive(Cli.Args a, String flag) {
        int v = a.integer(flag);
        if (v < 1) throw new Cli.UsageError("--" + flag + " must be at least 1, not " + v);
        return v;
    }

    /** The --reranker, or null without one. */
    static Reranker reranker(Cli.Args a, int batch) {
        if (!a.has("reranker")) return null;
        var opts = Reranker.Options.defaults().device(a.get("device")).batchSize(batch);
        return RerankCommand.load(a.get("reranker"), opts, Cli.hub(a));
    }

    /** The model in this process, or the endpoint --model names. */
    static Teacher teacher(Cli.Args a, int batch) {
        String model = a.get("model");
        if (model != null && (model.startsWith("http://") || model.startsWith("https://"))) {
            String key = a.has("api_key") ? a.get("api_key") : System.getenv("OPENAI_API_KEY");
            EndpointTeacher t = parse("model", () -> EndpointTeacher.at(model, a.get("teacher_model"))).apiKey(key)
                    .batchSize(batch).concurrency(positive(a, "max_concurrency"))
                    .dimensions(a.has("dimensions") ? positive(a, "dimensions") : null);
            return a.has("teacher_model") ? t : t.servedModel();
        }
        for (String flag : List.of("teacher_model", "api_key", "dimensions"))
            if (a.given(flag)) throw new Cli.UsageError("--" + flag + " is for an endpoint (--model http://HOST:PORT/v1); --model is a model here");
        var opts = Embedder.Options.defaults().device(a.get("device")).batchSize(batch)
                .maxLength(a.has("max_length") ? positive(a, "max_length") : null);
        return new LocalTeacher(ModelArgs.load(model, a.get("adapters"), opts, Cli.hub(a)), true);
    }
}
