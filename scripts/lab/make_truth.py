import sys, shutil
a=sys.argv; shutil.copy(a[a.index('--pcap')+1], '/tmp/trial.pcap'); shutil.copy(a[a.index('--plan')+1], '/tmp/trial.plan'); shutil.copy(a[a.index('--steps')+1], '/tmp/trial.steps')
open(a[a.index('--out')+1],'w').write('{}')
