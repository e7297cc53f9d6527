// `petrel-zookeeper CONFIG`: the coordination service alone, the same as `petrel zookeeper
// CONFIG`, in a binary without the Kafka broker or Foundation, so each ZooKeeper process maps
// half the memory (the image for the ZooKeeper pods runs this one).
import ZooKeeperCommand

ZooKeeperCommand.main()
