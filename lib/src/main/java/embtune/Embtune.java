// JBang scripts compile the library from source (//SOURCES lib/src/main/java/**/*.java) and
// pick up its dependencies from the lines below. Keep them equal to lib/pom.xml:
// DependenciesTest fails when the two lists drift apart.
//JAVA 17+
//DEPS ai.djl:api:0.35.1
//DEPS ai.djl.pytorch:pytorch-engine:0.35.1
//DEPS ai.djl.pytorch:pytorch-jni:2.7.1-0.35.1
//DEPS ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64
//DEPS ai.djl.huggingface:tokenizers:0.35.1
//DEPS com.fasterxml.jackson.core:jackson-databind:2.18.2
//DEPS org.apache.commons:commons-csv:1.12.0
//DEPS tech.tablesaw:tablesaw-core:0.44.1
//DEPS org.slf4j:slf4j-nop:2.0.16
//DEPS com.google.protobuf:protobuf-java:4.36.2
//DEPS com.microsoft.onnxruntime:onnxruntime:1.20.0
//DEPS org.knowm.xchart:xchart:4.0.3
//DEPS blue.strategic.parquet:parquet-floor:1.51
//DEPS org.apache.lucene:lucene-core:9.12.3
package embtune;

/** Holds the dependency list above for JBang scripts; nothing to call. */
final class Embtune {
    private Embtune() {}
}
