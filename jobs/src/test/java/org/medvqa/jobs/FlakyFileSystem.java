package org.medvqa.jobs;

import java.io.IOException;
import java.net.URI;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;
import org.apache.spark.TaskContext;

/**
 * Test support (fault injection, no production use): the local file system under the scheme {@code
 * flaky:}, whose file opens and creates fail once in the first attempt of Spark tasks. Jobs pointed
 * at {@code flaky:///some/path} with {@code medvqa.hadoop.conf.fs.flaky.impl} set to this class
 * read and write the local {@code /some/path}, and Spark must retry the failed tasks (a master such
 * as {@code local[2,4]} allows 4 attempts); the outputs must not show it.
 *
 * <p>Which operation fails is decided without randomness: in the first attempt (attempt number 0)
 * of a task of partition {@code p}, its {@code (1 + p % 2)}-th open or create throws an {@link
 * IOException} (a task with fewer operations does not fail). So half of the tasks fail before doing
 * anything, the others after their first file, when part of their work is done. Code outside tasks
 * (the driver) never fails. Each injected failure is printed to standard error as a line starting
 * with {@link #MARK}, so that a test can check that failures did happen, and where.
 */
public class FlakyFileSystem extends FileSystem {
  /** The scheme this file system serves. */
  public static final String SCHEME = "flaky";

  /** Starts the line printed for each injected failure. */
  public static final String MARK = "flaky-fs: injected failure";

  private static final URI NAME = URI.create(SCHEME + ":///");

  /** Operations so far per task attempt (Spark's unique task attempt id). */
  private static final Map<Long, AtomicInteger> OPERATIONS = new ConcurrentHashMap<>();

  private final RawLocalFileSystem local = new RawLocalFileSystem();
  private Path workingDir = new Path(SCHEME, null, System.getProperty("user.dir"));

  @Override
  public void initialize(URI name, Configuration conf) throws IOException {
    super.initialize(name, conf);
    local.initialize(URI.create("file:///"), conf);
  }

  @Override
  public URI getUri() {
    return NAME;
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public FSDataInputStream open(Path f, int bufferSize) throws IOException {
    maybeFail("open", f);
    return local.open(toLocal(f), bufferSize);
  }

  @Override
  public FSDataOutputStream create(
      Path f,
      FsPermission permission,
      boolean overwrite,
      int bufferSize,
      short replication,
      long blockSize,
      Progressable progress)
      throws IOException {
    maybeFail("create", f);
    return local.create(
        toLocal(f), permission, overwrite, bufferSize, replication, blockSize, progress);
  }

  @Override
  public FSDataOutputStream createNonRecursive(
      Path f,
      FsPermission permission,
      EnumSet<CreateFlag> flags,
      int bufferSize,
      short replication,
      long blockSize,
      Progressable progress)
      throws IOException {
    maybeFail("create", f);
    return local.createNonRecursive(
        toLocal(f), permission, flags, bufferSize, replication, blockSize, progress);
  }

  @Override
  public FSDataOutputStream append(Path f, int bufferSize, Progressable progress)
      throws IOException {
    return local.append(toLocal(f), bufferSize, progress);
  }

  @Override
  public boolean rename(Path src, Path dst) throws IOException {
    return local.rename(toLocal(src), toLocal(dst));
  }

  @Override
  public boolean delete(Path f, boolean recursive) throws IOException {
    return local.delete(toLocal(f), recursive);
  }

  @Override
  public FileStatus[] listStatus(Path f) throws IOException {
    FileStatus[] in = local.listStatus(toLocal(f));
    FileStatus[] out = new FileStatus[in.length];
    for (int i = 0; i < in.length; i++) {
      out[i] = toFlaky(in[i]);
    }
    return out;
  }

  @Override
  public void setWorkingDirectory(Path dir) {
    workingDir = makeQualified(dir);
  }

  @Override
  public Path getWorkingDirectory() {
    return workingDir;
  }

  @Override
  public boolean mkdirs(Path f, FsPermission permission) throws IOException {
    return local.mkdirs(toLocal(f), permission);
  }

  @Override
  public FileStatus getFileStatus(Path f) throws IOException {
    return toFlaky(local.getFileStatus(toLocal(f)));
  }

  private Path toLocal(Path p) {
    Path q = p.isAbsolute() ? p : new Path(workingDir, p);
    return new Path("file", null, q.toUri().getPath());
  }

  private static FileStatus toFlaky(FileStatus s) {
    return new FileStatus(
        s.getLen(),
        s.isDirectory(),
        s.getReplication(),
        s.getBlockSize(),
        s.getModificationTime(),
        s.getAccessTime(),
        s.getPermission(),
        s.getOwner(),
        s.getGroup(),
        new Path(SCHEME, null, s.getPath().toUri().getPath()));
  }

  private static void maybeFail(String operation, Path f) throws IOException {
    TaskContext task = TaskContext.get();
    if (task == null || task.attemptNumber() > 0) {
      return;
    }
    int n =
        OPERATIONS
            .computeIfAbsent(task.taskAttemptId(), k -> new AtomicInteger())
            .incrementAndGet();
    if (n == 1 + task.partitionId() % 2) {
      String message =
          String.format(
              java.util.Locale.ROOT,
              "%s of %s(%s) in stage %d, partition %d, attempt 0",
              MARK,
              operation,
              f,
              task.stageId(),
              task.partitionId());
      System.err.println(message);
      throw new IOException(message);
    }
  }
}
