package dev.mirrorsd.core;
import ai.djl.ndarray.*; import ai.djl.ndarray.types.*; import ai.djl.ndarray.index.NDIndex;
import org.junit.jupiter.api.Test;
import java.util.Arrays;
class TmpBw {
  static double median(long[] v){ long[] c=v.clone(); Arrays.sort(c); return c[c.length/2]/1e6; }
  @Test void bw() {
    try (NDManager m = NDManager.newBaseManager()) {
      for (int[] nk : new int[][]{{49152,576},{3072,576},{576,1536}}) {
      NDArray w = m.randomNormal(new Shape(nk[0], nk[1]));
      for (int rows : new int[]{1,2,5,8}) {
        NDArray x = m.randomNormal(new Shape(rows, nk[1]));
        long[] t=new long[40], t2=new long[40];
        for (int r=0;r<40;r++){ long a=System.nanoTime();
          try (NDArray y = x.getNDArrayInternal().linear(x, w, null).singletonOrThrow()) {} t[r]=System.nanoTime()-a;
          a=System.nanoTime();
          if (rows==1) { try (NDArray x2 = x.concat(x, 0); NDArray y = w.matMul(x2.transpose()); NDArray z = y.transpose().get(new NDIndex().addSliceDim(0,1))) {} }
          else { try (NDArray y = w.matMul(x.transpose()); NDArray z = y.transpose()) {} }
          t2[r]=System.nanoTime()-a; }
        System.out.printf("%dx%d rows %d: linear %.3f ms, W@xT %.3f ms (%.1f GB/s)%n", nk[0], nk[1], rows, median(t), median(t2), nk[0]*(double)nk[1]*4/1e9/(median(t2)/1e3));
      }}
    }
  }
}
