// Run by RealCgroupTest with the JDK's source launcher: joins the cgroups named by its arguments,
// then allocates and touches the asked number of MiB and holds them until killed.
public class Alloc {
  public static void main(String[] args) throws Exception {
    long pid = ProcessHandle.current().pid();
    for (int i = 1; i < args.length; i++) {
      java.nio.file.Files.writeString(java.nio.file.Path.of(args[i]), Long.toString(pid));
    }
    int mib = Integer.parseInt(args[0]);
    byte[][] chunks = new byte[mib][];
    for (int i = 0; i < mib; i++) {
      chunks[i] = new byte[1 << 20];
      for (int j = 0; j < chunks[i].length; j += 4096) {
        chunks[i][j] = 1;
      }
    }
    System.out.println("ready " + chunks.length);
    System.out.flush();
    Thread.sleep(120_000);
  }
}
