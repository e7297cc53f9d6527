import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.zookeeper.AsyncCallback;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * ZooKeeper's own Java client driving create, setData and getData of 100-byte znodes, one at a
 * time or with a window of requests outstanding. Prints one line per phase:
 * `phase ops seconds errors`. Used by zk_bench.py against Petrel and Apache ZooKeeper alike.
 *
 * Usage: java -cp <zookeeper jars>:<dir> ZkBench HOSTS ROOT COUNT WINDOW
 */
public final class ZkBench {
    public static void main(String[] args) throws Exception {
        String hosts = args[0];
        String root = args[1];
        int count = Integer.parseInt(args[2]);
        int window = Integer.parseInt(args[3]);
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(hosts, 30000, event -> {
            if (event.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) connected.countDown();
        });
        connected.await();
        byte[] data = new byte[100];
        try {
            zk.create(root, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        } catch (KeeperException.NodeExistsException e) {
            // a second run reuses it
        }
        for (String phase : new String[] {"create", "setData", "getData"}) {
            Semaphore permits = new Semaphore(window);
            AtomicInteger errors = new AtomicInteger();
            CountDownLatch done = new CountDownLatch(count);
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                permits.acquire();
                String path = root + "/n" + i;
                switch (phase) {
                    case "create":
                        zk.create(path, data, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT,
                            (AsyncCallback.StringCallback) (rc, p, ctx, name) -> finish(rc, errors, permits, done), null);
                        break;
                    case "setData":
                        zk.setData(path, data, -1,
                            (AsyncCallback.StatCallback) (rc, p, ctx, stat) -> finish(rc, errors, permits, done), null);
                        break;
                    default:
                        zk.getData(path, false,
                            (AsyncCallback.DataCallback) (rc, p, ctx, bytes, stat) -> finish(rc, errors, permits, done), null);
                }
            }
            done.await();
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.println(phase + " " + count + " " + seconds + " " + errors.get());
        }
        zk.close();
    }

    private static void finish(int rc, AtomicInteger errors, Semaphore permits, CountDownLatch done) {
        if (rc != 0) errors.incrementAndGet();
        permits.release();
        done.countDown();
    }
}
