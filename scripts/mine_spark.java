///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//SOURCES ../spark/src/main/java/**/*.java
//FILES embtune/spark/log4j2-command.properties=../spark/src/main/resources/embtune/spark/log4j2-command.properties
//DEPS org.apache.spark:spark-sql_2.13:4.2.0
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.2
//RUNTIME_OPTIONS -Dslf4j.provider=org.apache.logging.slf4j.SLF4JServiceProvider -XX:+IgnoreUnrecognizedVMOptions --add-modules=jdk.incubator.vector --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED -Dio.netty.tryReflectionSetAccessible=true
//DESCRIPTION Mine hard negatives on Spark: the mine command's flags and rows, texts embedded and the corpus searched on executors (./jbang mine --spark hands over here)

public class mine_spark {
    public static void main(String[] args) {
        embtune.spark.cli.MineSparkCommand.main(args);
    }
}
