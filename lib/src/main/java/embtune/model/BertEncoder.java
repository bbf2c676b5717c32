package embtune.model;

import embtune.ModelError;
import embtune.engine.Scopes;
import embtune.nn.Attention;
import embtune.nn.Embedding;
import embtune.nn.LayerNorm;
import embtune.nn.Linear;
import embtune.nn.Module;
import embtune.nn.ModuleList;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;

/**
 * BERT encoder (MiniLM, bge, e5): word + position + token-type embeddings, then post-norm
 * layers: {@code h = LN(h + attn(h)); h = LN(h + W2 gelu(W1 h))}. Padding keys are masked;
 * attention is bidirectional. Token types are all 0 for single sentences; a cross-encoder's
 * pairs pass theirs as a third input ({@code [ids, mask, token_type_ids]}). While training, dropout as
 * transformers' BertModel: {@code hidden_dropout_prob} on the embeddings and on each sublayer's output before its
 * residual, {@code attention_probs_dropout_prob} on the attention probabilities (0.1 each where the config is silent).
 */
public class BertEncoder extends Encoder {
    final Embeddings embeddings;
    final ModuleList<Layer> layers;

    public BertEncoder(ModelConfig c) {
        super(c);
        if (!c.hiddenAct().equals("gelu"))
            throw new embtune.ModelError("BERT hidden_act '" + c.hiddenAct() + "' is not supported (gelu only)");
        embeddings = child("embeddings", new Embeddings(c));
        Module encoder = child("encoder", new Module() {});
        layers = encoder.child("layer", new ModuleList<>());
        for (int i = 0; i < c.layers(); i++) layers.add(new Layer(c));
    }

    @Override
    public Masks masks(NDArray attentionMask) {
        return new Masks(biases.of(attentionMask, Attention.Pattern.ALL, 0, activations()), null);
    }

    @Override
    protected String embeddingPrefix() {
        return "embeddings.";
    }

    @Override
    public NDArray embed(NDArray inputIds) {
        return embeddings.forward(inputIds, null);
    }

    @Override
    public NDArray embed(ai.djl.ndarray.NDList inputs) {
        return embeddings.forward(inputs.get(0), inputs.size() > 2 ? inputs.get(2) : null);
    }

    @Override
    protected java.util.List<Layer> blocks() {
        return layers.items();
    }

    public static class Embeddings extends Module {
        final Embedding word, position, tokenType;
        final LayerNorm norm;
        final double dropout;

        Embeddings(ModelConfig c) {
            dropout = hiddenDropout(c);
            word = child("word_embeddings", new Embedding(c.vocabSize(), c.hiddenSize(), c.padTokenId()));
            position = child("position_embeddings", new Embedding(c.maxPositions(), c.hiddenSize()));
            tokenType = child("token_type_embeddings", new Embedding(c.typeVocabSize(), c.hiddenSize()));
            norm = child("LayerNorm", new LayerNorm(c.hiddenSize(), c.normEps(), true));
        }

        /** @param tokenTypes [B, T] segment ids (0 query, 1 document), or null for all 0 */
        NDArray forward(NDArray ids, NDArray tokenTypes) {
            long t = ids.getShape().get(1);
            NDManager m = ids.getManager();
            NDArray positions = m.arange(0, (int) t, 1, DataType.INT64).expandDims(0);
            NDArray types = tokenTypes != null ? tokenTypes : m.zeros(ids.getShape(), DataType.INT64);
            return dropout(norm.forward(word.forward(ids).add(tokenType.forward(types)).add(position.forward(positions))), dropout);
        }
    }

    public static class Layer extends Module implements Block {
        final Linear query, key, value, attnOut, intermediate, output;
        final LayerNorm attnNorm, outNorm;
        final int heads, headDim;
        final double hiddenDropout, attentionDropout;
        NDArray scale;

        Layer(ModelConfig c) {
            hiddenDropout = hiddenDropout(c);
            attentionDropout = c.dropout("attention_probs_dropout_prob", 0.1);
            heads = c.heads();
            headDim = c.hiddenSize() / c.heads();
            Module attention = child("attention", new Module() {});
            Module self = attention.child("self", new Module() {});
            query = self.child("query", new Linear(c.hiddenSize(), c.hiddenSize(), true));
            key = self.child("key", new Linear(c.hiddenSize(), c.hiddenSize(), true));
            value = self.child("value", new Linear(c.hiddenSize(), c.hiddenSize(), true));
            Module attnOutput = attention.child("output", new Module() {});
            attnOut = attnOutput.child("dense", new Linear(c.hiddenSize(), c.hiddenSize(), true));
            attnNorm = attnOutput.child("LayerNorm", new LayerNorm(c.hiddenSize(), c.normEps(), true));
            intermediate = child("intermediate", new Module() {}).child("dense", new Linear(c.hiddenSize(), c.intermediateSize(), true));
            Module out = child("output", new Module() {});
            output = out.child("dense", new Linear(c.intermediateSize(), c.hiddenSize(), true));
            outNorm = out.child("LayerNorm", new LayerNorm(c.hiddenSize(), c.normEps(), true));
        }

        @Override
        protected void onLoad(NDManager manager) {
            scale = Attention.scale(manager, headDim);
        }

        @Override
        public NDArray forward(NDArray h, Masks masks) {
            NDArray bias = masks.full(), x = h;
            double probsDropout = dropoutRate(attentionDropout);
            NDArray attended = Scopes.keep(() -> Attention.attendMerged(Attention.splitHeads(query.forward(x), heads, headDim),
                    Attention.splitHeads(key.forward(x), heads, headDim), Attention.splitHeads(value.forward(x), heads, headDim), bias, scale,
                    false, probsDropout));
            // residuals add in place on the dense outputs (or their dropout), which nothing saved (a linear keeps its
            // input, dropout its mask)
            NDArray y = attnNorm.forward(residual(dropout(attnOut.forward(attended), hiddenDropout), h));
            return outNorm.forward(residual(Scopes.keep(() -> dropout(output.forward(Activation.gelu(intermediate.forward(y))), hiddenDropout)), y));
        }
    }

    /** transformers' BertConfig default where the config is silent (the importer writes none). */
    static double hiddenDropout(ModelConfig c) {
        return c.dropout("hidden_dropout_prob", 0.1);
    }
}
