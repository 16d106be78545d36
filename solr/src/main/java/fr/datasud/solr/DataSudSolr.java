package fr.datasud.solr;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * Starts a real Apache Solr node (Solr's own embedded Jetty launcher, from the
 * solr-test-framework artifact on Maven Central) listening on 127.0.0.1.
 *
 * <pre>java -cp 'lib/*:classes' fr.datasud.solr.DataSudSolr SOLR_HOME PORT</pre>
 *
 * SOLR_HOME holds solr.xml and one folder per core (core.properties + conf/).
 * The node stops cleanly on SIGTERM.
 */
public final class DataSudSolr {
  private DataSudSolr() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: DataSudSolr SOLR_HOME PORT");
      System.exit(2);
    }
    Path home = Path.of(args[0]).toAbsolutePath();
    int port = Integer.parseInt(args[1]);
    if (!Files.isRegularFile(home.resolve("solr.xml"))) {
      System.err.println("no solr.xml in " + home);
      System.exit(2);
    }
    JettyConfig config =
        JettyConfig.builder()
            .setPort(port)
            .setContext("/solr")
            .stopAtShutdown(true)
            .withPortRetryTime(0)
            .build();
    JettySolrRunner solr = new JettySolrRunner(home.toString(), new Properties(), config);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    solr.stop();
                  } catch (Exception e) {
                    e.printStackTrace();
                  }
                }));
    solr.start();
    System.out.println("DataSud Solr listening on " + solr.getBaseUrl());
    Thread.currentThread().join();
  }
}
