# The seed guide's callback worker (worker.py of the asynchronous task callback practice),
# kept as written except for two things: print statements became Python 3 calls, and the one
# line marked ENDPOINT points the client at fnf-temporal's API instead of Alibaba Cloud.
import os
import sys
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkfnf.request.v20190315 import ReportTaskSucceededRequest
def main():
  account_id = os.environ['ACCOUNT_ID']
  akid = os.environ['AK_ID']
  ak_secret = os.environ['AK_SECRET']
  fnf_client = AcsClient(akid, ak_secret, "cn-hangzhou")
  fnf_client.add_endpoint("cn-hangzhou", "fnf", os.environ["FNF_ENDPOINT"])  # ENDPOINT
  task_token = sys.argv[1]
  print("task token " + task_token)
  try:
    request = ReportTaskSucceededRequest.ReportTaskSucceededRequest()
    request.set_Output("{\"status\": \"ok\"}")
    request.set_TaskToken(task_token)
    resp = fnf_client.do_action_with_exception(request)
    print("Report task succeeded finished")
  except ServerException as e:
    print(e)
if __name__ == '__main__':
    main()
