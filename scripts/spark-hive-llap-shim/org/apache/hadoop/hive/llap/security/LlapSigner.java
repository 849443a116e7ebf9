// A stand-in for the one type of hive-llap-common that Hive's function
// registry needs on a Spark Thrift Server. PySpark 4's jars leave out
// hive-llap-common (SPARK-51041); without this type the registry's class
// fails to initialise, which fails a Hive UDF, fails the closing of a
// session and, after one such failure, hangs every later attempt to
// register Hive's functions. The signatures are those of hive-llap-common
// 2.3.10; nothing on the test cluster calls them. On a cluster of your own,
// put hive-llap-common-2.3.10.jar on the driver's class path instead.
package org.apache.hadoop.hive.llap.security;

public interface LlapSigner {
    interface Signable {
        void setSignInfo(int masterKeyId);

        byte[] serialize() throws java.io.IOException;
    }
}
