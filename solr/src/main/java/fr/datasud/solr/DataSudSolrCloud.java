package fr.datasud.solr;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.solr.client.solrj.request.CollectionAdminRequest;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * A local SolrCloud cluster (Solr's own MiniSolrCloudCluster, from the solr-test-framework
 * artifact on Maven Central): NODES nodes on 127.0.0.1 with an embedded ZooKeeper, the
 * config set CONFIG_DIR uploaded, and a collection {@code ckan} of SHARDS shards x REPLICAS
 * replicas.
 *
 * <pre>java -cp 'lib/*:classes' fr.datasud.solr.DataSudSolrCloud BASE_DIR CONFIG_DIR NODES SHARDS REPLICAS</pre>
 *
 * Once the collection is active it prints one line of JSON: {"nodes": [base URLs], "zk":
 * "host:port"}; then it reads commands on stdin, one per line, and answers each with one
 * line: {@code stop N} / {@code start N} (N: the node's index in the printed list; a
 * restarted node keeps its port), {@code nodes}. End of input or SIGTERM: the cluster stops.
 */
public final class DataSudSolrCloud {
  private DataSudSolrCloud() {}

  private static String json(List<JettySolrRunner> runners, MiniSolrCloudCluster cluster) {
    StringBuilder out = new StringBuilder("{\"nodes\": [");
    for (int i = 0; i < runners.size(); i++) {
      JettySolrRunner runner = runners.get(i);
      out.append(i == 0 ? "" : ", ").append('"')
          .append(runner.isRunning() ? runner.getBaseUrl().toString() : "stopped:" + i).append('"');
    }
    return out.append("], \"zk\": \"").append(cluster.getZkServer().getZkAddress()).append("\"}").toString();
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 5) {
      System.err.println("usage: DataSudSolrCloud BASE_DIR CONFIG_DIR NODES SHARDS REPLICAS");
      System.exit(2);
    }
    Path base = Path.of(args[0]).toAbsolutePath();
    Path configDir = Path.of(args[1]).toAbsolutePath();
    int nodes = Integer.parseInt(args[2]);
    int shards = Integer.parseInt(args[3]);
    int replicas = Integer.parseInt(args[4]);
    Files.createDirectories(base);
    JettyConfig jetty = JettyConfig.builder().setContext("/solr").stopAtShutdown(true).build();
    MiniSolrCloudCluster cluster = new MiniSolrCloudCluster(nodes, base, jetty);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    cluster.shutdown();
                  } catch (Exception e) {
                    e.printStackTrace();
                  }
                }));
    cluster.uploadConfigSet(configDir, "ckan");
    CollectionAdminRequest.createCollection("ckan", "ckan", shards, replicas)
        .process(cluster.getSolrClient());
    cluster.waitForActiveCollection("ckan", shards, shards * replicas);
    List<JettySolrRunner> runners = new ArrayList<>(cluster.getJettySolrRunners());
    System.out.println(json(runners, cluster));
    System.out.flush();

    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      String[] words = line.trim().split("\\s+");
      try {
        if (words.length == 2 && words[0].equals("stop")) {
          JettySolrRunner runner = runners.get(Integer.parseInt(words[1]));
          cluster.stopJettySolrRunner(runner);
          cluster.waitForJettyToStop(runner);
        } else if (words.length == 2 && words[0].equals("start")) {
          JettySolrRunner runner = runners.get(Integer.parseInt(words[1]));
          cluster.startJettySolrRunner(runner);
          cluster.waitForNode(runner, 60);
          cluster.waitForActiveCollection("ckan", shards, shards * replicas);
        } else if (!(words.length == 1 && words[0].equals("nodes"))) {
          System.out.println("{\"error\": \"unknown command\"}");
          System.out.flush();
          continue;
        }
        System.out.println(json(runners, cluster));
      } catch (Exception e) {
        String text = e.toString().replace("\\", "/").replace("\"", "'").replaceAll("\\s+", " ");
        System.out.println("{\"error\": \"" + text + "\"}");
      }
      System.out.flush();
    }
    cluster.shutdown();
    System.exit(0);
  }
}
